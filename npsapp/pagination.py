"""Pages of a long list without COUNT(*) over all of it.

Django's Paginator counts every row to number the pages. On a list of every customer that count
costs more than the page itself and grows with the table. `LookaheadPaginator` reads one row
more than a page instead: that row says whether a next page exists. The total is then unknown
(`num_pages` is None; the page links say "Page 3", not "of N"), except on the last page, where
it is exact (`known_count`). A page number past the end is the one case that counts, to land on
the last page as Django's `get_page` does.
"""

from math import ceil

from django.core.paginator import PageNotAnInteger


class LookaheadPage:
    """The few things a page template asks of Django's Page, from one read of per_page + 1 rows."""

    def __init__(self, object_list: list, number: int, paginator: "LookaheadPaginator", *, has_next: bool):
        self.object_list = object_list
        self.number = number
        self.paginator = paginator
        self._has_next = has_next

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def known_count(self) -> int | None:
        """The number of rows in the whole list when this page shows it (the last page), else None."""
        if self._has_next:
            return None
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class LookaheadPaginator:
    num_pages = None  # unknown: nothing counted the rows

    def __init__(self, object_list, per_page: int):
        self.object_list = object_list
        self.per_page = per_page

    def get_page(self, number) -> LookaheadPage:
        try:
            number = int(number)
        except (TypeError, ValueError, PageNotAnInteger):
            number = 1
        number = max(number, 1)
        page = self._read(number)
        if not page.object_list and number > 1:
            # Past the end (a stale link): the last page, as Django's get_page gives. Only here we count.
            page = self._read(max(1, ceil(self.object_list.count() / self.per_page)))
        return page

    def _read(self, number: int) -> LookaheadPage:
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return LookaheadPage(rows[: self.per_page], number, self, has_next=len(rows) > self.per_page)
