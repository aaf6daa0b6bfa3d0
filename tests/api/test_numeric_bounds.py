"""A huge number in a query is a 422, never a database overflow and a 500."""

from __future__ import annotations

import httpx

from mynumber.platform.signing import Identity, KeyFolder


def test_a_huge_log_position_at_the_hub_is_a_422(fed, http):
    keys = KeyFolder(fed.settings.data_dir / "keys")
    path = "/hub/log"

    def get(after: int) -> httpx.Response:
        query = f"after={after}&limit=10"
        headers = Identity("hub", keys.private_key("hub")).sign("GET", f"{path}?{query}", b"")
        return http.get(f"{path}?{query}", headers=headers)

    assert get(2**70).status_code == 422
    assert get(2**62 + 1).status_code == 422
    assert get(2**62).status_code == 200
