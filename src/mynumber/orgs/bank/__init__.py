"""A bank (金融機関): its own accounts; answers only whether an account exists, is open and
is held by a given kana name. No balance, no transaction: nothing here tells anyone those."""
