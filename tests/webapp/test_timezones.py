"""Each study has a time zone: times are entered and shown in it with the zone named;
expert pages carry what the browser needs to add the reader's own local time."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import Round, Study


def test_offsets_against_the_tz_database():
    """Independent facts: Beijing is UTC+8 all year (no DST since 1991); Berlin is CET
    (UTC+1) in January and CEST (UTC+2) in July."""
    from webapp.services import timezones

    winter, summer = datetime(2026, 1, 15, 12, tzinfo=timezone.utc), datetime(2026, 7, 15, 12, tzinfo=timezone.utc)
    assert timezones.format_in(winter, "Asia/Shanghai") == "2026-01-15 20:00 (Asia/Shanghai, UTC+08:00)"
    assert timezones.format_in(winter, "Europe/Berlin") == "2026-01-15 13:00 (Europe/Berlin, UTC+01:00)"
    assert timezones.format_in(summer, "Europe/Berlin") == "2026-07-15 14:00 (Europe/Berlin, UTC+02:00)"
    assert timezones.format_in(summer, "UTC") == "2026-07-15 12:00 UTC"
    assert timezones.to_utc(datetime(2026, 3, 2, 18, 0), "Asia/Shanghai") == datetime(2026, 3, 2, 10, 0,
                                                                                      tzinfo=timezone.utc)
    with pytest.raises(timezones.TimeZoneError):
        timezones.check_zone("Mars/Olympus_Mons")


@pytest.mark.parametrize("posted, locale, expected", [
    ("Europe/Berlin", "en", "Europe/Berlin"),  # the browser's zone, filled in by zone.js
    ("", "zh", "Asia/Shanghai"),               # no browser zone: a Chinese study is in Beijing time
    ("", "en", "UTC"),
])
def test_a_new_study_takes_the_browsers_zone_or_beijing_time(app, coordinator_client, posted, locale, expected):
    page = coordinator_client.get("/studies/new?lang=en").get_data(as_text=True)
    assert "data-browser-zone" in page and "js/zone.js" in page
    response = coordinator_client.post("/studies/new", data={"title": "T", "default_locale": locale,
                                                             "time_zone": posted})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Study.time_zone)) == expected


def test_an_unknown_zone_is_refused_and_nothing_is_stored(app, coordinator_client):
    response = coordinator_client.post("/studies/new?lang=en", data={"title": "T", "default_locale": "zh",
                                                                     "time_zone": "Mars/Base"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Study.id))) == 0


def test_times_are_typed_and_shown_in_the_studys_zone(app, coordinator_client, make_study, make_expert):
    sid = make_study(alice_id(app))
    _, token = make_expert(sid, name="E", email="e@example.org")
    response = coordinator_client.post(f"/studies/{sid}/settings", data={
        "title": "Seed study", "description": "", "default_locale": "zh", "time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    new = coordinator_client.post(f"/studies/{sid}/rounds/new?lang=en", data={
        "title": "R1", "instructions": "", "scale": "1-5", "scope": "1", "allow_comments": "y",
        "closes_at": "2031-03-02T18:00", "opens_at": "", "reminder_hours": ""})
    assert new.status_code == 302, new.get_data(as_text=True)[-1500:]
    with app.app_context():
        rnd = db.session.scalar(select(Round))
        assert rnd.closes_at == datetime(2031, 3, 2, 10, 0, tzinfo=timezone.utc)  # 18:00 Beijing = 10:00 UTC
        rid = rnd.id
    edit = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/edit?lang=en").get_data(as_text=True)
    assert 'value="2031-03-02T18:00"' in edit and "Asia/Shanghai (UTC+08:00)" in edit
    coordinator_client.post(f"/studies/{sid}/rounds/{rid}/open")
    page = coordinator_client.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert "2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)" in page and "10:00 UTC" not in page
    # the expert: the deadline in the study's zone, named, with what localtime.js needs
    expert = app.test_client()
    expert.get(f"/i/{token}")
    home = expert.get("/expert/?lang=en").get_data(as_text=True)
    [tag] = re.findall(r"<time [^>]*data-local-time[^>]*>[^<]*</time>", home)
    assert 'datetime="2031-03-02T10:00:00+00:00"' in tag and 'data-zone-offset="480"' in tag
    assert ">2031-03-02 18:00 (Asia/Shanghai, UTC+08:00)</time>" in tag
    assert 'data-local-label="your time: {time}"' in tag and "js/localtime.js" in home
    assert "您的当地时间" in expert.get("/expert/?lang=zh").get_data(as_text=True)
