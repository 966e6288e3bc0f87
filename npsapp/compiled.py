"""ORM statements by one value, turned into SQL once per database connection instead of once per call.

Django compiles a query again on every execution: for a statement run on every customer's
answer (the link's lookup over four tables, the link's claim) that costs more than the rest of
running it. Each statement here is written with the ORM, compiled the first time a connection
runs it with a placeholder where the value goes, and run afterwards with the value put in its
place: same SQL, same parameters, same converters as the queryset would use.

On PostgreSQL a lookup by its one value is also prepared in the server's session (PREPARE
once, then EXECUTE): the link's lookup joins four tables, and planning it took three times as
long as running it (0.44 ms a call unprepared against 0.10 ms prepared, pgbench on the bench's
database; PostgreSQL plans the first five executions of a session one by one, then keeps one
plan), so only connections kept between requests (CONN_MAX_AGE) prepare. A prepared statement
lives in one server session, so none is used behind a transaction pooler
(DATABASE_TRANSACTION_POOLING sets DISABLE_SERVER_SIDE_CURSORS), nor inside a transaction, where a
session that lost it would abort the transaction; outside one, a lookup whose statement is gone
runs again unprepared and that connection stops preparing. A session that already has it (kept
from a connection before) uses it; one whose returned columns a migration changed meanwhile (a
deploy under way) runs the plain SQL once and prepares it anew.
"""

import hashlib
import logging
import re
import weakref

from django.db import DatabaseError, connections, transaction
from django.db.models import sql
from django.db.models.query import get_related_populators

TEXT_PLACEHOLDER = "\x00value"
# For a value an integer field prepares (a primary key): no real key is this.
INTEGER_PLACEHOLDER = -(2**62) + 17

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs: "prepared statement ... does not exist", "... already exists" (a
# session that kept it from a connection before), "cached plan must not change result type".
_NO_SUCH_STATEMENT = "26000"
_ALREADY_PREPARED = "42P05"
_RESULT_CHANGED = "0A000"
# Per driver connection (a reconnect makes a new one): the statements prepared in its server
# session, or None once one was found missing (a pooler between us and the server).
_prepared = weakref.WeakKeyDictionary()


def _prepares(connection, params) -> bool:
    """Whether to prepare: PostgreSQL reached directly (a session per connection), connections kept
    between requests, and no parameter but the looked-up value (PostgreSQL infers a parameter's
    type from where it stands: a constant in the select list would come back as text)."""
    settings = connection.settings_dict
    return (
        connection.vendor == "postgresql"
        and not settings.get("DISABLE_SERVER_SIDE_CURSORS")
        and settings.get("CONN_MAX_AGE") != 0
        and len(params) == 1
    )


def _server_side(name: str, statement: str, params) -> tuple[str, str]:
    """The PREPARE and the EXECUTE (its arguments as `%s`) of a statement written with `%s`."""
    numbers = iter(range(1, len(params) + 1))
    body = re.sub(r"%[s%]", lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", statement)
    arguments = ", ".join(["%s"] * len(params))
    return f"PREPARE {name} AS {body}", f"EXECUTE {name}({arguments})" if params else f"EXECUTE {name}"


def _run_setup(connection, cursor, statement: str, *, allowed: str = "") -> None:
    """A statement about the session itself, run like the connection's own setup: not logged as
    one of the request's queries. An error whose SQLSTATE is `allowed` is ignored."""
    try:
        with connection.wrap_database_errors:
            cursor.cursor.execute(statement)
    except DatabaseError as exc:
        if not allowed or getattr(exc.__cause__, "pgcode", None) != allowed:
            raise


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
            "server_side": None,
        }
        if _prepares(connection, params):
            name = "npsapp_" + hashlib.sha256(statement.encode()).hexdigest()[:24]
            compiled["server_side"] = (name, *_server_side(name, statement, params))
        self._compiled[connection] = compiled
        return compiled

    def _fetch_prepared(self, connection, cursor, compiled: dict, params):
        """The row by the session's prepared statement (prepared first if need be), None for no
        row, or False when the caller is to run the plain SQL: inside a transaction; once a
        statement went missing on this connection (logged); when a migration changed a column
        it returns since it was prepared (it is dropped, and prepared anew next time)."""
        name, prepare, execute = compiled["server_side"]
        raw = connection.connection
        names = _prepared.setdefault(raw, set())
        if names is None or connection.in_atomic_block or not connection.get_autocommit():
            return False
        if name not in names:
            _run_setup(connection, cursor, prepare, allowed=_ALREADY_PREPARED)
            names.add(name)
        try:
            cursor.execute(execute, params)
        except DatabaseError as exc:
            code = getattr(exc.__cause__, "pgcode", None)
            if code == _RESULT_CHANGED:
                names.discard(name)
                _run_setup(connection, cursor, f"DEALLOCATE {name}", allowed=_NO_SUCH_STATEMENT)
                return False
            if code != _NO_SUCH_STATEMENT:
                raise
            _prepared[raw] = None
            logger.warning(
                "a prepared statement went missing on database %r, so its connections reach more than one "
                "server session (a transaction pooler? then set DATABASE_TRANSACTION_POOLING=true); "
                "this connection no longer prepares statements",
                connection.alias,
            )
            return False
        return cursor.fetchone()

    def first(self, value, *, using: str):
        connection = connections[using]
        compiled = self._for(connection)
        params = self._with_value(compiled, value)
        with connection.cursor() as cursor:
            row = self._fetch_prepared(connection, cursor, compiled, params) if compiled["server_side"] else False
            if row is False:
                cursor.execute(compiled["sql"], params)
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
