"""支払基金 / オンライン資格確認等システム: the insurers' 中間サーバー copies of eligibility and
the system clinics and pharmacies query with the My Number card (``/oqs``)."""
