"""``flask --app webapp score WEIGHTSET.json SCORES.csv``: the library's scorer, without the server.

A thin wrapper of :func:`evaluation.cli.score_table` (the same as ``python -m evaluation score``);
it reads files and prints, and touches no database.
"""
from __future__ import annotations

import json

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("score")
    @click.argument("weight_set", type=click.Path(exists=True, dir_okay=False))
    @click.argument("scores", type=click.Path(exists=True, dir_okay=False))
    @click.option("--bands", type=click.Path(exists=True, dir_okay=False),
                  help="JSON star bands ([{'stars': 5, 'min': 90}, …]); default: the seed's rating.")
    @click.option("--missing", type=click.Choice(["refuse", "reweight"]), default="refuse",
                  help="Refuse missing scores (default) or re-weight over the indicators present.")
    @click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text")
    @click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
    def score_command(weight_set, scores, bands, missing, fmt, lang):
        """Print T, the element scores T_i and the stars of each object in a scores CSV."""
        from evaluation.cli import read_scores_csv, score_table

        try:
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
