"""認定プラットフォーム事業者: a platform operator that verifies JPKI signatures for private
service providers (see :mod:`mynumber.orgs.trustplatform.app`)."""
