"""Resources whose settings come from the environment, kept through partial run config.

Dagster replaces a resource's whole config when run config sets any one field: values given to
the constructor are lost (a Launchpad override of `per_page` would drop the environment's URL
and key). Values that are class DEFAULTS survive, so the environment's values become the field
defaults of a subclass built here. A `dg.EnvVar` default stays an env reference: Dagster
resolves it in the run's process and run storage keeps only the variable's name.
"""

from collections.abc import Mapping
from typing import TypeVar

import dagster as dg

R = TypeVar("R", bound=dg.ConfigurableResource)


def with_defaults(base: type[R], defaults: Mapping[str, object], name: str, doc: str) -> R:
    """An instance of a subclass of `base` named `name` whose field defaults are `defaults`."""
    fields = base.model_fields
    unknown = sorted(set(defaults) - set(fields))
    if unknown:
        raise ValueError(f"{base.__name__} has no field(s) {unknown}")
    cls = type(
        name,
        (base,),
        {
            "__annotations__": {k: fields[k].annotation for k in defaults},
            "__module__": base.__module__,
            "__doc__": doc,
            **defaults,
        },
    )
    return cls()
