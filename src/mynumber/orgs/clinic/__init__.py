"""A clinic or pharmacy (保険医療機関・薬局, ``/clinic/<10-digit code>``): its reception
terminal (資格確認端末) asks the オンライン資格確認等システム about the card its
顔認証付きカードリーダー read."""
