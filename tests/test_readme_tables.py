"""The README's reference tables hold exactly what the code defines, each mismatch named.

The code side is found, not listed: settings from the classes in `app/core/config/`; error codes,
metrics and log events by walking the syntax trees of `app/` (`tests/fixtures/app_source.py`).
"""

import importlib
import pkgutil
from decimal import Decimal

import annotated_types
import opentelemetry.sdk.environment_variables as otel_variables
import stamina.instrumentation
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

import app.core.config
from tests.fixtures.app_source import APP, error_codes, log_events, metrics
from tests.fixtures.readme import names_in, readme_tables


def settings_classes() -> list[type[BaseSettings]]:
    found: list[type[BaseSettings]] = []
    for module_info in pkgutil.iter_modules(app.core.config.__path__):
        module = importlib.import_module(f"app.core.config.{module_info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, BaseSettings) and value.__module__ == module.__name__
        ]
    return found


def env_name(settings_class: type[BaseSettings], name: str, field: FieldInfo) -> str:
    if isinstance(field.validation_alias, str):
        return field.validation_alias.upper()
    return f"{settings_class.model_config.get('env_prefix', '')}{name}".upper()


def _number(value: float) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    whole, dot, fraction = text.partition(".")
    return f"{int(whole):,}{dot}{fraction}"


def literal_default(field: FieldInfo) -> str | None:
    """The default as the README writes it, when it is a plain value."""
    default = field.default
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, int | float):
        return _number(default).replace(",", "")
    if isinstance(default, str) and default:
        return default
    return None


def value_range(field: FieldInfo) -> str | None:
    """The bounds pydantic enforces, in the README's words: `(1 to 3,600)`, `(more than 0, at most 10)`."""
    low: tuple[str, str] | None = None
    high: tuple[str, str] | None = None
    for bound in field.metadata:
        match bound:
            case annotated_types.Ge(ge=value):
                low = ("at least", _number(value))  # type: ignore[arg-type]
            case annotated_types.Gt(gt=value):
                low = ("more than", _number(value))  # type: ignore[arg-type]
            case annotated_types.Le(le=value):
                high = ("at most", _number(value))  # type: ignore[arg-type]
            case annotated_types.Lt(lt=value):
                high = ("less than", _number(value))  # type: ignore[arg-type]
    if low is not None and high is not None and low[0] == "at least" and high[0] == "at most":
        return f"({low[1]} to {high[1]})"
    phrases = [" ".join(bound) for bound in (low, high) if bound is not None]
    return f"({', '.join(phrases)})" if phrases else None


def library_metrics() -> dict[str, str]:
    """Metrics our libraries register in our registry, which the README lists too."""
    retries = stamina.instrumentation.get_prometheus_counter()
    assert retries is not None, "stamina's Prometheus counter is off: is prometheus_client installed?"
    return {f"{family.name}_total": family.type for family in retries.describe()}


def test_configuration_tables_list_every_setting_with_its_default_and_range() -> None:
    rows = {name: cells for cells in readme_tables("| variable | default |") for name in names_in(cells[0])}
    problems: list[str] = []
    fields: set[str] = set()
    for settings_class in settings_classes():
        for name, field in settings_class.model_fields.items():
            variable = env_name(settings_class, name, field)
            fields.add(variable)
            row = rows.get(variable)
            if row is None:
                problems.append(f"{variable} ({settings_class.__name__}) has no row")
                continue
            default_cell, whole_row = row[1], " | ".join(row)
            if field.is_required():
                if "*required*" not in default_cell:
                    problems.append(f"{variable}: required, but its default reads {default_cell!r}")
            elif (default := literal_default(field)) is not None:
                if f"`{default}`" not in default_cell:
                    problems.append(f"{variable}: default `{default}`, README says {default_cell!r}")
            elif field.default is not PydanticUndefined and not default_cell:
                problems.append(f"{variable}: its default (computed or unset) is not described")
            if (bounds := value_range(field)) is not None and bounds not in whole_row:
                problems.append(f"{variable}: accepts {bounds}, which its row does not say")
    # Rows for variables read by a library or the launcher, not by a settings class.
    read_elsewhere = {name for name in rows if name.startswith("OTEL_") and name in vars(otel_variables)}
    read_elsewhere |= {name for name in rows if _read_from_environment_in_app(name)}
    problems += [f"{name} has a row but no setting reads it" for name in sorted(set(rows) - fields - read_elsewhere)]
    assert not problems, "README out of step with the code:\n" + "\n".join(problems)


def _read_from_environment_in_app(variable: str) -> bool:
    return any(f'"{variable}"' in path.read_text(encoding="utf-8") for path in APP.rglob("*.py"))


def test_error_code_table_lists_every_code() -> None:
    rows = {name for cells in readme_tables("| code | when |") for name in names_in(cells[0])}
    codes = error_codes()
    problems = [f"{code} ({path}) has no row" for code, path in sorted(codes.items()) if code not in rows]
    problems += [f"{code} has a row but no code in app/ answers it" for code in sorted(rows - set(codes))]
    assert not problems, "README out of step with the code:\n" + "\n".join(problems)


def test_metrics_table_lists_every_metric_with_its_type_and_labels() -> None:
    rows = {name: cells for cells in readme_tables("| name | type | labels |") for name in names_in(cells[0])}
    defined = metrics()
    problems: list[str] = []
    for name, (kind, labels, path) in sorted(defined.items()):
        if (row := rows.get(name)) is None:
            problems.append(f"{name} ({path}) has no row")
            continue
        if row[1] != kind:
            problems.append(f"{name}: a {kind}, README says {row[1]!r}")
        problems += [f"{name}: label {label!r} is not in its row" for label in labels if f"`{label}`" not in row[2]]
    theirs = library_metrics()
    problems += [f"{name} has a row but is defined nowhere" for name in sorted(set(rows) - set(defined) - set(theirs))]
    problems += [f"{name} ({kind}, a library's) has no row" for name, kind in theirs.items() if name not in rows]
    assert not problems, "README out of step with the code:\n" + "\n".join(problems)


def test_log_event_table_lists_every_event() -> None:
    rows = {name for cells in readme_tables("| `event` | fields |") for name in names_in(cells[0])}
    events = log_events()
    problems = [f"{event} ({path}) has no row" for event, path in sorted(events.items()) if event not in rows]
    problems += [f"{event} has a row but nothing in app/ logs it" for event in sorted(rows - set(events))]
    assert not problems, "README out of step with the code:\n" + "\n".join(problems)
