"""``flask --app webapp score WEIGHTSET.json SCORES.csv``: the library's scorer, without the server.

A thin wrapper of :func:`evaluation.cli.score_table` (the same as ``python -m evaluation score``).
WEIGHT_SET is a weight-set/1 file, or ``study:ID:vN`` for version N published in study ID of this
installation's database (read only; nothing is written).
"""
from __future__ import annotations

import json
import os
import re

import click
from flask import Flask

PUBLISHED = re.compile(r"^study:(\d+):v?(\d+)$")


def _published_document(spec: str) -> dict:
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import WeightSet

    study_id, version = (int(x) for x in PUBLISHED.match(spec).groups())
    found = db.session.scalar(select(WeightSet).where(WeightSet.study_id == study_id, WeightSet.version == version))
    if found is None:
        raise ValueError(f"no weight set version {version} is published in study {study_id}")
    return {**found.payload, "checksum": found.checksum}


def register(app: Flask) -> None:
    @app.cli.command("score")
    @click.argument("weight_set")
    @click.argument("scores", type=click.Path(exists=True, dir_okay=False))
    @click.option("--bands", type=click.Path(exists=True, dir_okay=False),
                  help="JSON star bands ([{'stars': 5, 'min': 90}, …]); default: the seed's rating.")
    @click.option("--missing", type=click.Choice(["refuse", "reweight"]), default="refuse",
                  help="Refuse missing scores (default) or re-weight over the indicators present.")
    @click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text")
    @click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
    def score_command(weight_set, scores, bands, missing, fmt, lang):
        """Print T, the element scores T_i and the stars of each object in a scores CSV.

        WEIGHT_SET: a weight-set/1 JSON file, or study:ID:vN for a version published here.
        """
        from evaluation.cli import read_scores_csv, score_table

        try:
            if PUBLISHED.match(weight_set) and not os.path.exists(weight_set):
                doc = _published_document(weight_set)
            else:
                with open(weight_set, encoding="utf-8-sig") as fh:
                    doc = json.load(fh)
            with open(scores, encoding="utf-8-sig", newline="") as fh:
                table = read_scores_csv(fh.read())
            band_doc = None
            if bands:
                with open(bands, encoding="utf-8-sig") as fh:
                    band_doc = json.load(fh)
            out = score_table(doc, table, bands=band_doc, missing=missing, fmt=fmt, lang=lang)
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(out, nl=False)
