"""The security baseline as configured (DOMAIN.md: 等保 2.0 level 3)."""

import yiwang.settings as configured


def test_passwords_are_hashed_with_argon2() -> None:
    # tests swap the hasher for speed (yiwang/conftest.py); the configured list is what runs
    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_five_failed_logins_lock_the_account_for_thirty_minutes() -> None:
    assert configured.AXES_FAILURE_LIMIT == 5
    assert configured.AXES_COOLOFF_TIME == 0.5
    assert configured.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_sessions_end_after_thirty_idle_minutes() -> None:
    assert configured.SESSION_COOKIE_AGE == 30 * 60
    assert configured.SESSION_SAVE_EVERY_REQUEST is True
