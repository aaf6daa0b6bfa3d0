"""The benefit office (給付金事務局, ``/benefits``): designated public benefits paid push-type
(プッシュ型) into the eligible people's public-fund accounts, by Zengin 総合振込 files."""
