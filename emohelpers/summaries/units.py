"""Unit tables: one row per person key in each clip of a corpus table, the units that
`compare` compares (clips are the independent units; a person in a clip is one unit).

The person key is a column of the table: `person` (the track id, meaningful only inside a
clip), or a corpus-wide key such as `name` (an enrolled person) or `corpus_person` (the
same face linked across clips). The rules are those of `clip_summary`: a dominant emotion
by vote with its tie rule (`summary.dominant_emotion`), the valence score as the mean over
the unit's face frames of positive minus negative probability (`valence.valence_scores`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emohelpers.analysis.table import EMOTIONS
from emohelpers.core.errors import SchemaError
from emohelpers.summaries.summary import dominant_emotion
from emohelpers.summaries.valence import valence_scores

#: Columns of `person_units` (then the `keep` columns).
UNIT_COLUMNS: tuple[str, ...] = ("n_face_frames", "dominant", "valence_score")


def person_units(
    table: pd.DataFrame,
    person: str = "person",
    *,
    clip: str = "clip",
    keep: Sequence[str] = (),
    mapping: str | Mapping[str, str] = "default",
) -> pd.DataFrame:
    """One row per (clip, person key) with face frames, dominant emotion and mean valence.

    Args:
        table: a corpus emotion table (`corpus.dataset.read_emotions`: the emotion table's
            columns plus `clip` and the metadata), or one clip's table with a `clip` column.
        person: the person key column (`person`, `name`, `corpus_person`...); face rows
            whose key is missing are left out (they are nobody's).
        clip: the clip column.
        keep: further columns to carry (the first value of each unit: metadata columns,
            constant within a clip).
        mapping: the valence mapping (preset name or dict).

    Returns:
        Columns `clip`, `person` (the key's column name), `n_face_frames`, `dominant`,
        `valence_score`, then `keep`; sorted by clip and key; no rows without faces.

    Raises:
        SchemaError: when a needed column is missing.
    """
    missing = [c for c in (clip, person, "face", "emotion", *EMOTIONS, *keep) if c not in table]
    if missing:
        raise SchemaError(
            f"person_units: the table lacks columns {missing}; read it with "
            "`corpus.dataset.read_emotions(DIR)`"
        )
    columns = [clip, person, *UNIT_COLUMNS, *[k for k in keep if k not in (clip, person)]]
    faces = table.loc[table["face"].notna() & table["emotion"].notna() & table[person].notna()]
    if faces.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    keys = pd.MultiIndex.from_frame(faces[[clip, person]].astype(object))
    code, uniques = pd.factorize(keys, sort=True)
    # One float id per unit, so that the summaries' own vote and tie rule decide.
    work = faces.assign(person=code.astype(np.float64), frame=np.arange(len(faces)))
    dominant = dominant_emotion(work).set_index("person")
    scores = valence_scores(faces)["valence_score"].to_numpy(np.float64)
    mean_score = np.bincount(code, weights=scores) / np.bincount(code)
    first = faces.groupby(code, sort=True).first()
    out = pd.DataFrame(
        {
            clip: [u[0] for u in uniques],
            person: [u[1] for u in uniques],
            "n_face_frames": dominant["n_face_frames"].to_numpy(np.int64),
            "dominant": dominant["dominant_vote"].astype(str).to_numpy(),
            "valence_score": mean_score,
        }
    )
    for k in columns[len(UNIT_COLUMNS) + 2 :]:
        out[k] = first[k].to_numpy()
    return out[columns].reset_index(drop=True)
