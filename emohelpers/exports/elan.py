"""ELAN annotation files (`.eaf`, EAF 3.0): one time-aligned tier per person (the dominant
emotion of each window), one of shots and one of the voice's emotions, linked to the video.

The layout follows the EAF 3.0 schema (http://www.mpi.nl/tools/elan/EAFv3.0.xsd): a
HEADER (media descriptor, URN), the TIME_ORDER of every time slot in milliseconds, the
TIERs of ALIGNABLE_ANNOTATIONs, and the LINGUISTIC_TYPE and CONSTRAINTs they refer to.
"""

from __future__ import annotations

import mimetypes
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from emohelpers.analysis.provenance import utc_now
from emohelpers.exports.annotations import Interval

EAF_SCHEMA = "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: The linguistic type of every tier written here: free text aligned to time.
LINGUISTIC_TYPE = "emohelpers-interval"
#: ELAN's four standard stereotypes, as ELAN itself writes them into every file.
_CONSTRAINTS = {
    "Time_Subdivision": "Time subdivision of parent annotation's time interval, no time gaps "
    "allowed within this interval",
    "Symbolic_Subdivision": "Symbolic subdivision of a parent annotation. Annotations refering "
    "to the same parent are ordered",
    "Symbolic_Association": "1-1 association with a parent annotation",
    "Included_In": "Time alignable annotations within the parent annotation's time interval, "
    "gaps are allowed",
}


def eaf_document(tiers: Mapping[str, Sequence[Interval]], media: str | Path | None = None) -> str:
    """An EAF 3.0 document of `tiers` (tier id -> intervals, seconds), as XML text.

    Args:
        tiers: the tiers in the order they are shown; empty ones are kept (a person or a
            voice with nothing to annotate still has a tier).
        media: the video the annotations belong to (linked in the header).
    """
    ET.register_namespace("xsi", XSI)
    root = ET.Element(
        "ANNOTATION_DOCUMENT",
        {
            "AUTHOR": "emohelpers",
            "DATE": utc_now(),
            "FORMAT": "3.0",
            "VERSION": "3.0",
            f"{{{XSI}}}noNamespaceSchemaLocation": EAF_SCHEMA,
        },
    )
    header = ET.SubElement(root, "HEADER", {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"})
    if media is not None:
        path = Path(media)
        mime = mimetypes.guess_type(path.name)[0] or "video/mp4"
        ET.SubElement(
            header,
            "MEDIA_DESCRIPTOR",
            {
                "MEDIA_URL": path.absolute().as_uri(),
                "MIME_TYPE": mime,
                "RELATIVE_MEDIA_URL": f"./{path.name}",
            },
        )
    ET.SubElement(
        header, "PROPERTY", {"NAME": "URN"}
    ).text = f"urn:nl-mpi-tools-elan-eaf:{uuid.uuid4()}"
    n_annotations = sum(len(v) for v in tiers.values())
    ET.SubElement(header, "PROPERTY", {"NAME": "lastUsedAnnotationId"}).text = str(n_annotations)
    order = ET.SubElement(root, "TIME_ORDER")
    slots: dict[int, str] = {}

    def slot(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        if ms not in slots:
            slots[ms] = f"ts{len(slots) + 1}"
        return slots[ms]

    tier_elements = []
    next_id = 1
    for tier_id, intervals in tiers.items():
        tier = ET.Element("TIER", {"LINGUISTIC_TYPE_REF": LINGUISTIC_TYPE, "TIER_ID": tier_id})
        for iv in intervals:
            a, b = slot(iv.start_s), slot(max(iv.end_s, iv.start_s + 0.001))
            ann = ET.SubElement(ET.SubElement(tier, "ANNOTATION"), "ALIGNABLE_ANNOTATION")
            ann.set("ANNOTATION_ID", f"a{next_id}")
            ann.set("TIME_SLOT_REF1", a)
            ann.set("TIME_SLOT_REF2", b)
            ET.SubElement(ann, "ANNOTATION_VALUE").text = iv.value
            next_id += 1
        tier_elements.append(tier)
    for ms, slot_id in sorted(slots.items(), key=lambda kv: (kv[0], kv[1])):
        ET.SubElement(order, "TIME_SLOT", {"TIME_SLOT_ID": slot_id, "TIME_VALUE": str(ms)})
    root.extend(tier_elements)
    ET.SubElement(
        root,
        "LINGUISTIC_TYPE",
        {
            "GRAPHIC_REFERENCES": "false",
            "LINGUISTIC_TYPE_ID": LINGUISTIC_TYPE,
            "TIME_ALIGNABLE": "true",
        },
    )
    for stereotype, description in _CONSTRAINTS.items():
        ET.SubElement(root, "CONSTRAINT", {"DESCRIPTION": description, "STEREOTYPE": stereotype})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
