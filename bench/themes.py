"""Theme discovery: quality against labels, speed, memory. No database.

    .venv/bin/python bench/themes.py [--labelled 900] [--sizes 100000] [--pipelines tfidf,embedding]

1. Quality: a labelled set of short French and English comments over nine themes, written by
   `bench/themes_corpus.py` (negated clauses about another theme, typing mistakes, missing
   accents, mixed languages), seed 11; the pipelines' merge distances were tuned on seed 7.
   For each pipeline: groups found, purity and normalised mutual information (NMI) against
   the labels, time and peak memory.
2. Matching one new answer to the accepted themes (every group of the quality run, as a
   manager accepting them all would have): median and p99 per answer, and how often the
   answer's own theme is among those matched (a second labelled set, seed 99).
3. Speed: discovery over `--sizes` comments (100,000 by default) per pipeline, each in its
   own process so that its peak memory (max RSS) is its own.

Targets: NMI ≥ 0.6 with the default pipeline; discovery of 100,000 comments < 60 s;
matching < 5 ms per answer; peak memory < 1 GB. Prints a table and writes
bench/results/themes.json with the machine's load average and the git commit. Timings
taken while other work runs on the machine are not comparable.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "themes.json"
QUALITY_SEED = 11
MATCHING_SEED = 99


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    # The embedded settings: nothing here touches a database.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npsapp.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-key")  # DEBUG is off: the settings ask for a key
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _purity(labels_true, labels_found) -> float:
    groups: dict[int, Counter] = {}
    for truth, found in zip(labels_true, labels_found, strict=True):
        groups.setdefault(found, Counter())[truth] += 1
    return sum(counter.most_common(1)[0][1] for counter in groups.values()) / len(labels_true)


def quality(pipeline: str, n: int) -> dict:
    """One pipeline on the labelled set (run in its own process)."""
    _setup()
    from sklearn.metrics import normalized_mutual_info_score
    from themes_corpus import labelled_comments

    from insights.discovery import Comment, discover

    rows = labelled_comments(n, seed=QUALITY_SEED)
    comments = [Comment(id=i, text=text, score=score) for i, (text, _theme, score) in enumerate(rows)]
    started = time.perf_counter()
    found = discover(comments, pipeline=pipeline, seed=0)
    seconds = time.perf_counter() - started
    truth = [theme for _text, theme, _score in rows]
    result = {
        "pipeline": pipeline,
        "comments": n,
        "themes": len({theme for theme in truth}),
        "groups": len(set(found.labels)),
        "nmi": round(normalized_mutual_info_score(truth, found.labels), 3),
        "purity": round(_purity(truth, found.labels), 3),
        "seconds": round(seconds, 2),
        "peak_mb": round(_peak_mb()),
    }
    if pipeline == "tfidf":
        result["matching"] = _matching(found, rows)
    return result


def _matching(found, rows) -> dict:
    from themes_corpus import labelled_comments

    from insights.matching import matching_themes, theme_vector

    default_idf = max(found.idf.values())
    names = {}
    vectors = []
    for number, proposal in enumerate(found.proposals):
        names[number] = Counter(rows[i][1] for i in proposal.member_ids).most_common(1)[0][0]
        vectors.append(
            theme_vector(
                theme_id=number,
                centroid=proposal.centroid,
                keywords=proposal.key_phrases,
                idf={term: found.idf[term] for term in proposal.centroid if term in found.idf},
                default_idf=default_idf,
                threshold=0.2,
                is_complaint=proposal.detractor_share >= 0.5,
            )
        )
    answers = labelled_comments(600, seed=MATCHING_SEED)
    times, hits, wrong = [], 0, 0
    for text, theme, _score in answers:
        started = time.perf_counter()
        matched = matching_themes(text, vectors)
        times.append((time.perf_counter() - started) * 1000)
        matched_names = {names[theme_id] for theme_id, _similarity in matched}
        hits += theme in matched_names
        wrong += len(matched_names - {theme})
    times.sort()
    return {
        "themes_accepted": len(vectors),
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(0.99 * len(times)) - 1], 3),
        "own_theme_found": round(hits / len(answers), 3),
        "other_themes_per_answer": round(wrong / len(answers), 3),
    }


def speed(pipeline: str, n: int) -> dict:
    """Discovery over `n` comments (run in its own process): seconds and peak memory."""
    _setup()
    from themes_corpus import labelled_comments

    from insights.discovery import Comment, discover

    rows = labelled_comments(n, seed=QUALITY_SEED)
    comments = [Comment(id=i, text=text, score=score) for i, (text, _theme, score) in enumerate(rows)]
    started = time.perf_counter()
    found = discover(comments, pipeline=pipeline, seed=0)
    return {
        "pipeline": pipeline,
        "comments": n,
        "groups": len(found.proposals),
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(_peak_mb()),
    }


def _child(kind: str, pipeline: str, n: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--pipeline", pipeline, "--n", str(n)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labelled", type=int, default=900, help="size of the labelled set (≥ 600)")
    parser.add_argument("--sizes", default="100000", help="comma-separated sizes for the speed part; 0 skips it")
    parser.add_argument("--pipelines", default="tfidf,embedding")
    parser.add_argument("--child", choices=["quality", "speed"], help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = quality(args.pipeline, args.n) if args.child == "quality" else speed(args.pipeline, args.n)
        print(json.dumps(result))
        return

    pipelines = [name.strip() for name in args.pipelines.split(",") if name.strip()]
    sizes = [int(size) for size in args.sizes.split(",") if int(size) > 0]
    load_before = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {', '.join(f'{v:.1f}' for v in load_before)}, commit {_commit()}")
    print()
    print(f"Quality: {args.labelled} labelled comments (seed {QUALITY_SEED})")
    print(f"{'pipeline':<10} {'themes':>6} {'groups':>6} {'NMI':>6} {'purity':>7} {'time s':>7} {'peak MB':>8}")
    qualities = []
    for pipeline in pipelines:
        row = _child("quality", pipeline, args.labelled)
        qualities.append(row)
        print(
            f"{pipeline:<10} {row['themes']:>6} {row['groups']:>6} {row['nmi']:>6.3f} {row['purity']:>7.3f} "
            f"{row['seconds']:>7.2f} {row['peak_mb']:>8}"
        )
    matching = next((row["matching"] for row in qualities if "matching" in row), None)
    if matching:
        print()
        print(f"Matching one answer to {matching['themes_accepted']} accepted themes (tfidf, 600 new answers)")
        print(
            f"median {matching['median_ms']} ms, p99 {matching['p99_ms']} ms; own theme found "
            f"{matching['own_theme_found']:.0%}, other themes per answer {matching['other_themes_per_answer']}"
        )
    speeds = []
    if sizes:
        print()
        print("Speed (target: 100,000 comments < 60 s, peak < 1024 MB)")
        print(f"{'pipeline':<10} {'comments':>9} {'groups':>6} {'time s':>7} {'peak MB':>8}")
        for pipeline in pipelines:
            for size in sizes:
                row = _child("speed", pipeline, size)
                speeds.append(row)
                print(f"{pipeline:<10} {size:>9} {row['groups']:>6} {row['seconds']:>7.2f} {row['peak_mb']:>8}")
    load_after = os.getloadavg()
    print()
    print(f"load average at the end {', '.join(f'{v:.1f}' for v in load_after)}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "commit": _commit(),
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "quality": qualities,
                "speed": speeds,
            },
            indent=2,
        )
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
