"""IOCs as STIX sees them: the property each type's value is, the value as STIX writes it,
and the indicator's pattern."""

import ipaddress

from postmortem.model import HashAlgorithm, Ioc, IocType
from postmortem.model.indicators import check_hash

__all__ = ["WITHOUT_OBSERVABLE", "ioc_pattern", "stix_value"]

_HASH_TYPES = {
    IocType.MD5: HashAlgorithm.MD5,
    IocType.SHA1: HashAlgorithm.SHA1,
    IocType.SHA256: HashAlgorithm.SHA256,
    IocType.SHA512: HashAlgorithm.SHA512,
}
_OBSERVABLE_PATHS: dict[IocType, tuple[str, list[str]]] = {
    IocType.DOMAIN: ("domain-name", ["value"]),
    IocType.URL: ("url", ["value"]),
    IocType.EMAIL: ("email-addr", ["value"]),
    IocType.FILE_NAME: ("file", ["name"]),
    IocType.ACCOUNT: ("user-account", ["account_login"]),
    IocType.REGISTRY_KEY: ("windows-registry-key", ["key"]),
    IocType.USER_AGENT: (
        "network-traffic",
        ["extensions", "http-request-ext", "request_header", "User-Agent"],
    ),
    IocType.PROCESS: ("process", ["command_line"]),
}
"""Object type and property path of each IOC type's value (IP addresses and hashes apart)."""
WITHOUT_OBSERVABLE = frozenset({IocType.USER_AGENT, IocType.PROCESS})
"""Types whose observable STIX cannot make from the value alone (a network-traffic needs
its end points, a process has no deterministic id): the indicator's pattern only."""


def ioc_pattern(ioc: Ioc) -> tuple[str, str, list[str]] | None:
    """The STIX pattern of ``ioc`` (built from its canonical value by the library's pattern
    classes), with the object type and property path it compares; None for an IOC of type
    Other, which STIX has no property for."""
    from postmortem._stix2 import equality_pattern

    found = _object_path(ioc)
    if found is None:
        return None
    object_type, path = found
    return equality_pattern(object_type, path, stix_value(ioc)), object_type, path


_HIVES = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
          "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}  # fmt: skip


def stix_value(ioc: Ioc) -> str:
    """The IOC's value as STIX writes it: the canonical value, a registry key's hive in
    full (STIX forbids ``HKLM``)."""
    value = ioc.canonical
    if ioc.type is IocType.REGISTRY_KEY:
        hive, separator, rest = value.partition("\\")
        value = _HIVES.get(hive.upper(), hive) + separator + rest
    return value


def _object_path(ioc: Ioc) -> tuple[str, list[str]] | None:
    kind = ioc.type
    if kind in (IocType.IP_ADDRESS, IocType.IPV4, IocType.IPV6, IocType.CIDR):
        version = ipaddress.ip_network(ioc.canonical, strict=False).version
        return f"ipv{version}-addr", ["value"]
    if kind is IocType.FILE_HASH or kind in _HASH_TYPES:
        algorithm = check_hash(ioc.canonical, _HASH_TYPES.get(kind, ioc.hash_algorithm))
        return "file", ["hashes", algorithm.value]
    return _OBSERVABLE_PATHS.get(kind)
