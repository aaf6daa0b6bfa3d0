"""The linkage hub (情報提供ネットワークシステム): agency codes, permitted exchanges, the
relay of sealed answers, and the hash-chained exchange record."""
