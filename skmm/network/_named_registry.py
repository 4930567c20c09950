"""What the registries of fusions, text encoders and image encoders share.

Each registry holds declarations (frozen dataclasses with a ``name``) of one
type, under their names, in registration order; the value of an estimator
parameter (``fusion``, ``text_encoder``, ``image_encoder``) is looked up in
it. The public ``register_*`` / ``unregister_*`` / ``get_*`` / ``*_names``
functions of `skmm.network` delegate to one `NamedRegistry` each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Declaration:
    """What every registered declaration has: a name, the function, a description.

    Subclasses set :attr:`what` (``"text encoder"``) for messages and may add
    fields (with defaults) and checks (calling this ``__post_init__``).
    """

    name: str
    function: Callable
    description: str = ""

    #: What a declaration of the class is, for messages.
    what: ClassVar[str] = "declaration"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(
                f"The name of a {self.what} must be a non-empty string; got {self.name!r}."
            )
        if not callable(self.function):
            raise ValueError(f"{self.what.capitalize()} {self.name!r}: function must be callable.")


class NamedRegistry:
    """Declarations of one type, by name.

    Parameters
    ----------
    declaration_type : type
        The class every declaration must be an instance of.
    parameter : str
        The estimator parameter whose values the names are, for messages.
    register_function : str
        The public function that registers another, for messages.
    """

    def __init__(self, declaration_type, parameter, register_function):
        self.declaration_type = declaration_type
        self.parameter = parameter
        self.register_function = register_function
        self._declarations = {}

    def register(self, declaration, *, replace=False):
        """Register ``declaration`` under its name; return it."""
        if not isinstance(declaration, self.declaration_type):
            raise TypeError(
                f"{self.register_function} expects a {self.declaration_type.__name__}; "
                f"got {declaration!r}."
            )
        if declaration.name in self._declarations and not replace:
            raise ValueError(
                f"A {self.parameter} named {declaration.name!r} is already registered; pass "
                "replace=True to replace it."
            )
        self._declarations[declaration.name] = declaration
        return declaration

    def unregister(self, name):
        """Remove the declaration ``name`` and return it."""
        self.get(name)
        return self._declarations.pop(name)

    def get(self, name):
        """The declaration registered as ``name``; a ``ValueError`` naming the others."""
        try:
            return self._declarations[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"Unknown {self.parameter} {name!r}; choose one of {', '.join(self.names())} "
                f"({self.register_function} declares another)."
            ) from None

    def names(self):
        """The registered names, in registration order."""
        return tuple(self._declarations)
