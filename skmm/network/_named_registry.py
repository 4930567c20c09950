"""What the registries of fusions, text encoders and image encoders share.

Each registry holds declarations (frozen dataclasses with a ``name``) of one
type, under their names, in registration order; the value of an estimator
parameter (``fusion``, ``text_encoder``, ``image_encoder``) is looked up in
it. The public ``register_*`` / ``unregister_*`` / ``get_*`` / ``*_names``
functions of `skmm.network` delegate to one `NamedRegistry` each.
"""

from __future__ import annotations


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
