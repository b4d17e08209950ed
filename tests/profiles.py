"""Which deployment the running test's sandbox plays (set by the ``sandbox`` fixture).

A module of its own because pytest loads ``conftest.py`` as a module distinct from
``tests.conftest`` (which tests import): state kept there would exist twice.
"""

PROFILES = ["cloud", "datacenter"]
"""``@pytest.mark.parametrize("sandbox", PROFILES, indirect=True)`` runs a test on both deployments."""
CURRENT_PROFILE = ["cloud"]  # the profile of the running test's sandbox, for helpers that write people
