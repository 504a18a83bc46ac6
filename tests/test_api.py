"""The public API: every name in ``postmortem.__all__`` resolves, to what it should."""

import importlib
import pkgutil

import postmortem


def test_every_public_name_resolves_even_after_every_submodule_is_imported() -> None:
    submodules = {module.name for module in pkgutil.iter_modules(postmortem.__path__)}
    assert not submodules & set(postmortem.__all__)  # importing one would shadow the name
    for name in submodules - {"__main__"}:
        importlib.import_module(f"postmortem.{name}")
    for name in postmortem.__all__:
        value = getattr(postmortem, name)
        assert not isinstance(value, type(postmortem)), name
    assert callable(postmortem.render_markdown)
    assert callable(postmortem.document_history)
