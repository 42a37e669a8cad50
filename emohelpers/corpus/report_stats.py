"""The corpus report's comparisons: groups of clips (metadata columns) and persons across
clips, with counts, clip-bootstrap intervals, tests and effect sizes (`summaries.compare`).

The notebook calls `show_groups` and `show_persons`; the person key is a column of the
corpus dataset (`person_column`: a corpus-wide key such as `name` or `corpus_person`, where
the dataset has one; track ids, `person`, only mean something inside one clip).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import ParameterError
from emohelpers.corpus import clip_table, dataset
from emohelpers.corpus import figures as cf
from emohelpers.report.html import markdown_text
from emohelpers.summaries.compare import Comparison, compare, compare_each, summary_rows
from emohelpers.summaries.units import person_units

#: Corpus-wide person keys, in the order they are looked for when none is given.
PERSON_KEYS: tuple[str, ...] = ("name", "corpus_person")


def _display(obj: Any) -> None:
    from IPython.display import display  # IPython only in the notebook's kernel

    display(obj)


def _markdown(text: str) -> None:
    from IPython.display import Markdown  # IPython only in the notebook's kernel

    _display(Markdown(text))


def _html(text: str) -> None:
    from IPython.display import HTML  # IPython only in the notebook's kernel

    _display(HTML(text))


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def test_sentences(c: Comparison) -> list[str]:
    """The comparison's tests and notes in words (Markdown, user text escaped)."""
    lines = []
    e, v = c.emotion_test, c.valence_test
    if e is not None:
        lines.append(
            f"Dominant emotions: chi-square {e['statistic']:.2f} (df {e['dof']}), permutation "
            f"{_p(e['p_value'])} over {e['n_units']} units in {e['groups']} groups "
            f"(asymptotic {_p(e['p_asymptotic'])}); Cramér's V {e['cramers_v']:.2f} "
            f"[{e['cramers_v_lo']:.2f}-{e['cramers_v_hi']:.2f}]."
        )
    if v is not None and "difference" in v:
        lines.append(
            f"Valence: difference of means {v['difference']:+.2f} "
            f"[{v['difference_lo']:+.2f} to {v['difference_hi']:+.2f}], Cohen's d "
            f"{v['cohens_d']:.2f}, permutation {_p(v['p_value'])}."
        )
    elif v is not None:
        lines.append(
            f"Valence: one-way F {v['statistic']:.2f}, permutation {_p(v['p_value'])}, "
            f"eta squared {v['eta_squared']:.2f}."
        )
    return lines + [markdown_text(n) for n in c.notes]


def show_comparison(units: pd.DataFrame, column: str, **options: Any) -> Comparison:
    """Figures (shares, mean valence) and the tests of one grouping; returns it."""
    c = compare(units, column, **options)
    _display(cf.group_figure(units, column, c))
    _display(cf.valence_group_figure(c))
    _markdown("\n".join(f"- {line}" for line in test_sentences(c)))
    return c


def show_groups(clips: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Section 3: per metadata column, shares of dominant emotions and mean valence of the
    clips' main persons per group, with intervals and tests; returns {column: p-values}."""
    units = cf.group_units(clips)
    found = {}
    for column in columns:
        _markdown(f"### {markdown_text(column)}")
        c = show_comparison(units, column)
        found[column] = {
            "emotion_p": (c.emotion_test or {}).get("p_value"),
            "valence_p": (c.valence_test or {}).get("p_value"),
        }
    return found


def person_key(out_dir: Path, wanted: str | None) -> str | None:
    """The person key column to compare persons across clips: `wanted`, else `name` when
    some person was named (a cast), else `corpus_person` when the run linked persons across
    clips (`corpus/persons.parquet`); None when neither.

    Raises:
        ParameterError: when `wanted` is not a column of the dataset.
    """
    root = dataset.dataset_dir(out_dir)
    parts = sorted(root.glob("clip=*/" + dataset.PARTITION_FILE)) if root.is_dir() else []
    if not parts:
        return wanted
    import pyarrow.dataset as ds  # only the schema of one partition

    names = set(ds.dataset(parts[0], format="parquet").schema.names)
    linked = (Path(out_dir) / dataset.CORPUS_DIR / dataset.CORPUS_PERSONS_FILE).is_file()
    if linked:
        names.add("corpus_person")
    if wanted is not None and wanted not in names:
        raise ParameterError(
            f"person_column={wanted!r}: not a column of {root}; have {sorted(names)}"
        )
    if wanted is not None:
        return wanted
    if "name" in names and dataset.read_emotions(out_dir, ["name"])["name"].notna().any():
        return "name"
    return "corpus_person" if linked else None


def corpus_units(out_dir: Path, key: str, keep: Sequence[str] = ()) -> pd.DataFrame:
    """`summaries.units.person_units` of the corpus dataset by the person key `key`."""
    if key == "corpus_person":  # not stored in the partitions: joined on reading them all
        return person_units(dataset.read_emotions(out_dir), key, keep=keep)
    columns = ["clip", key, "face", "emotion", *EMOTIONS, *[k for k in keep if k != key]]
    return person_units(dataset.read_emotions(out_dir, columns), key, keep=keep)


def show_persons(out_dir: Path, clips: pd.DataFrame, wanted: str | None, columns: list[str]):
    """Section 5: every person of every clip (sortable table); with a corpus-wide person
    key, the persons compared across clips and each person across the metadata groups.

    Returns:
        {"key": the person key or None, "units": rows, "persons": distinct keys}.
    """
    key = person_key(out_dir, wanted)
    shown = key or "person"
    meta = [c for c in columns if c in clips.columns]
    units = corpus_units(out_dir, shown, meta)
    rows = clip_table.person_rows(units, shown)
    _html(clip_table.table_html(rows, caption=f"every {shown} of every clip"))
    if key is None:
        _markdown(
            "*Persons are known only inside each clip (track ids): no corpus-wide person key "
            f"({' or '.join(PERSON_KEYS)}) in the dataset, so none is compared across clips.*"
        )
        return {"key": None, "units": len(units), "persons": None}
    _markdown(f"### Persons ({markdown_text(key)}) compared across clips")
    show_comparison(units, key)
    rows = [
        {key: who, **summary_rows([c]).iloc[0].to_dict()}
        for column in meta
        for who, c in compare_each(units, column, key).items()
    ]
    if rows:
        _markdown(f"Each {markdown_text(key)} across the groups of each metadata column:")
        each = pd.DataFrame(rows)
        _html(each.to_html(index=False, float_format="{:.3f}".format, border=0, na_rep=""))
    return {"key": key, "units": len(units), "persons": int(units[key].nunique())}
