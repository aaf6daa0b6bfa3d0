"""公金受取口座 registry (Digital Agency, 口座情報登録・連携システム): one account per person,
in the person's own name, given to paying agencies through the linkage hub."""
