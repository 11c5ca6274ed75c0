"""Model instances from one prepared statement, for reads made on every frame.

The ORM compiles a query each time it runs one; on the paths that run for every frame of
a busy console (the session check, the chat a frame names) that compilation costs more
than the database does. :func:`load_related` builds its statement once per shape and
makes the instances with ``Model.from_db``, its related rows cached on them exactly as
``select_related`` caches them.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


Part = tuple[type[models.Model], list[str], list[tuple[Any, list[Any]]], Any]


def _converters(model: type[models.Model]) -> list[tuple[Any, list[Any]]]:
    """Each concrete field's converters from the database's value, with the expression
    they are called with, as the ORM applies them."""
    found = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        found.append(
            (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        )
    return found


def _part(model: type[models.Model], field: Any) -> Part:
    return (model, [f.attname for f in model._meta.concrete_fields], _converters(model), field)


@cache
def _statement(
    vendor: str, model: type[models.Model], relations: tuple[str, ...], where: str
) -> tuple[str, list[Part]]:
    quote = connection.ops.quote_name
    parts = [_part(model, None)]
    columns = [f"t.{quote(f.column)}" for f in model._meta.concrete_fields]
    joins = []
    for index, name in enumerate(relations):
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey):
            raise TypeError(f"{model.__name__}.{name} is not a foreign key")
        related = field.related_model
        if not isinstance(related, type):  # "self" is resolved once the apps are loaded
            raise TypeError(f"{model.__name__}.{name} is not resolved yet")
        alias = f"r{index}"
        joins.append(
            f"LEFT JOIN {quote(related._meta.db_table)} {alias} "
            f"ON {alias}.{quote(related._meta.pk.column)} = t.{quote(field.column)}"
        )
        columns += [f"{alias}.{quote(f.column)}" for f in related._meta.concrete_fields]
        parts.append(_part(related, field))
    # Names from the models' own metadata, quoted; ``where`` is the caller's constant SQL.
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t "  # noqa: S608
        f"{' '.join(joins)} WHERE {where}"
    )
    return sql, parts


def load_related(
    model: type[M], relations: tuple[str, ...], where: str, params: list[Any]
) -> list[M]:
    """Rows of ``model`` matching ``where`` (SQL over the table's alias ``t``, with ``%s``
    parameters), each with the forward foreign keys ``relations`` loaded."""
    sql, parts = _statement(connection.vendor, model, relations, where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: list[M] = []
    for row in rows:
        at = 0
        owner: Any = None
        for part_model, attnames, converters, field in parts:
            values = list(row[at : at + len(attnames)])
            at += len(attnames)
            for i, (col, convert_all) in enumerate(converters):
                for convert in convert_all:
                    values[i] = convert(values[i], col, connection)
            if field is None:
                owner = part_model.from_db(connection.alias, attnames, values)
                found.append(owner)
            elif values[0] is None:
                field.set_cached_value(owner, None)
            else:
                field.set_cached_value(
                    owner, part_model.from_db(connection.alias, attnames, values)
                )
    return found
