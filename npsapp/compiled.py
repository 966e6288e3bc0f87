"""ORM statements by one value, turned into SQL once per database connection instead of once per call.

Django compiles a query again on every execution: for a statement run on every customer's
answer (the link's lookup over three tables, the link's claim) that costs more than the rest of
running it. Each statement here is written with the ORM, compiled the first time a connection
runs it with a placeholder where the value goes, and run afterwards with the value put in its
place: same SQL, same parameters, same converters as the queryset would use.
"""

import weakref

from django.db import connections, transaction
from django.db.models import sql
from django.db.models.query import get_related_populators

TEXT_PLACEHOLDER = "\x00value"
# For a value an integer field prepares (a primary key): no real key is this.
INTEGER_PLACEHOLDER = -(2**62) + 17


class _Compiled:
    def __init__(self, build, *, placeholder=TEXT_PLACEHOLDER):
        self._build = build  # value -> the queryset
        self._placeholder = placeholder
        self._compiled = weakref.WeakKeyDictionary()  # connection -> what running it needs

    def _position(self, params) -> int:
        placeholder = self._placeholder
        return next(i for i, param in enumerate(params) if type(param) is type(placeholder) and param == placeholder)

    def _with_value(self, compiled: dict, value) -> list:
        params = list(compiled["params"])
        params[compiled["position"]] = value
        return params

    def _for(self, connection) -> dict:
        return self._compiled.get(connection) or self._compile(connection)

    def _compile(self, connection) -> dict:
        raise NotImplementedError


class CompiledLookup(_Compiled):
    """A query of at most one row, built into a model instance as the queryset itself would be
    (Django's ModelIterable), with the database's converters and the related rows joined in."""

    def _compile(self, connection) -> dict:
        compiler = self._build(self._placeholder).query.get_compiler(connection=connection)
        statement, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        compiled = {
            "compiler": compiler,
            "sql": statement,
            "params": params,
            "position": self._position(params),
            "converters": compiler.get_converters([column[0] for column in select[: compiler.col_count]]),
            "model": klass_info["model"],
            "fields": (start, end, [column[0].target.attname for column in select[start:end]]),
            "populators": get_related_populators(klass_info, select, connection.alias),
            "annotations": list(compiler.annotation_col_map.items()),
        }
        self._compiled[connection] = compiled
        return compiled

    def first(self, value, *, using: str):
        connection = connections[using]
        compiled = self._for(connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled["sql"], self._with_value(compiled, value))
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled["converters"]:
            row = next(iter(compiled["compiler"].apply_converters([row], compiled["converters"])))
        start, end, names = compiled["fields"]
        instance = compiled["model"].from_db(using, names, row[start:end])
        for populator in compiled["populators"]:
            populator.populate(row, instance)
        for name, position in compiled["annotations"]:
            setattr(instance, name, row[position])
        return instance


class CompiledUpdate(_Compiled):
    """`queryset.update(**values)` on a queryset of one table filtered by the value: the number
    of rows it changed. The values are fixed; only the filter's value changes between runs."""

    def __init__(self, build, values: dict, *, placeholder=TEXT_PLACEHOLDER):
        super().__init__(build, placeholder=placeholder)
        self._values = values

    def _compile(self, connection) -> dict:
        query = self._build(self._placeholder).query.chain(sql.UpdateQuery)
        query.add_update_values(self._values)
        compiler = query.get_compiler(connection=connection)
        statement, params = compiler.as_sql()
        if query.related_updates:
            raise ValueError("CompiledUpdate updates the filtered table only")
        compiled = {"sql": statement, "params": tuple(params), "position": self._position(params)}
        self._compiled[connection] = compiled
        return compiled

    def run(self, value, *, using: str) -> int:
        connection = connections[using]
        compiled = self._for(connection)
        # As QuerySet.update: an error inside an atomic block marks it for rollback.
        with transaction.mark_for_rollback_on_error(using=using), connection.cursor() as cursor:
            cursor.execute(compiled["sql"], self._with_value(compiled, value))
            return cursor.rowcount
