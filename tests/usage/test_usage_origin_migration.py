"""Area migration 0010: a usage request's applicant origin. Requests the first public page filed
under the placeholder code 00000 become public ones with the customer's e-mail address; a retailer's
stay as they were; the table refuses a public request with a code or a retailer's without one."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from switchhub.db.migrate import downgrade, upgrade
from tests.support import admin_url, create_database, drop_database, execute

INSERT = ("INSERT INTO usage_requests (area, application_no, applicant_code, channel, stage, verification,"
          " validity_days, customer_name_kana, customer_name_kanji, address, phone, consent_date, received_at,"
          " review_deadline) VALUES ('03', %s, %s, 'low', '02', 'review', 7, 'カナ', '漢字', '東京都', '0312345678',"
          " '2026-11-24', '2026-11-24T10:00+09:00', '2026-11-25')")
APPLICANTS = "SELECT application_no, applicant_origin, applicant_code, applicant_email FROM usage_requests ORDER BY 1"


def test_placeholder_requests_become_public_and_back():
    admin, name = admin_url(), f"usage_origin_{uuid.uuid4().hex[:8]}"
    url = create_database(admin, name)
    try:
        upgrade("area", url, "0009")
        execute(url, INSERT, ("0320261124U0000001", "A0001"))
        execute(url, INSERT, ("0320261124U0000002", "00000"))
        execute(url, "INSERT INTO public_usage_requests (area, email, token_hash, request, created_at, expires_at,"
                     " confirmed_at, application_no) VALUES ('03', 'taro@example.jp', %s, '{}', now(),"
                     " now() + interval '1 day', now(), '0320261124U0000002')", ("0" * 64,))
        upgrade("area", url, "0010")
        assert execute(url, APPLICANTS) == [("0320261124U0000001", "retailer", "A0001", None),
                                            ("0320261124U0000002", "public", None, "taro@example.jp")]
        for sql in ("UPDATE usage_requests SET applicant_code = 'A0001' WHERE applicant_origin = 'public'",
                    "UPDATE usage_requests SET applicant_code = NULL WHERE applicant_origin = 'retailer'",
                    "UPDATE usage_requests SET applicant_email = NULL WHERE applicant_origin = 'public'"):
            with pytest.raises(psycopg.errors.CheckViolation):
                execute(url, sql)
        downgrade("area", url, "0009")
        assert execute(url, "SELECT application_no, applicant_code FROM usage_requests ORDER BY 1") == [
            ("0320261124U0000001", "A0001"), ("0320261124U0000002", "00000")]
        upgrade("area", url)
        assert execute(url, APPLICANTS)[1] == ("0320261124U0000002", "public", None, "taro@example.jp")
    finally:
        drop_database(admin, name)
