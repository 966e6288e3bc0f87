"""The filter choices (regions, product categories, segment attributes) read cold and from the cache.

    .venv/bin/python bench/filter_choices.py [--runs N]

Reads the bench dataset (BENCH_DATABASE_URL; build it with bench/dataset.py) and writes nothing
to it. The cache is a Redis database of its own (BENCH_FILTER_CHOICES_REDIS_URL, default
redis://127.0.0.1:6379/11), the fail-open Redis cache the app runs with (npsapp/cache.py).

a. cold: the three queries (DISTINCT regions over all customers, DISTINCT categories over all
   purchases, the segment attributes), as every dashboard, panel, export and NPS API call ran them;
b. cached: `filter_choices()` while nothing was written (one Redis round trip; target < 2 ms);
c. after a write: the generation bumped, then the first `filter_choices()` (reads again).
"""

import argparse
import os

from benchlib import Report, django_setup, machine, stats, timed

REDIS_URL = os.environ.get("BENCH_FILTER_CHOICES_REDIS_URL", "redis://127.0.0.1:6379/11")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    os.environ["REDIS_CACHE_URL"] = REDIS_URL
    django_setup()
    from django.core.cache import cache

    from crm import segments
    from crm.models import Customer, Purchase

    report = Report("filter_choices")
    report.note(f"{machine()}; {Customer.objects.count():,} customers, {Purchase.objects.count():,} purchases")
    cache.delete(segments.CHOICES_KEY)
    cold = timed(segments._filter_choices_read, max(args.runs // 10, 5))
    cached = timed(segments.filter_choices, args.runs)

    def after_a_write():
        segments.SEGMENTS.bump_now()
        segments.filter_choices()

    bumped = timed(after_a_write, max(args.runs // 10, 5))
    rows = [[name, *stats(samples)] for name, samples in (("a. cold (3 queries)", cold), ("b. cached", cached))]
    rows.append(["c. first read after a write", *stats(bumped)])
    report.table("filter_choices(), ms", ["read", "median", "p95", "max"], rows)
    median = stats(cached)[0]
    report.target("cached filter_choices() < 2 ms", f"{median:.2f} ms median", median < 2)
    cache.delete_many([segments.CHOICES_KEY, segments.SEGMENTS.key])
    report.save()


if __name__ == "__main__":
    main()
