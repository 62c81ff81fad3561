"""Parameters controls read from the profile (a profile sets them; its loader checks their types)."""
from voxaudit.check import Param

SECRET_PARAM = Param(name="min_secret_length", default=12, help="Shortest acceptable SIP/AMI/ARI/ESL secret")
TLS_PARAM = Param(name="min_tls_version", default="1.2", help="Lowest acceptable TLS version (1.2 or 1.3)")
MIN_PIN = Param(name="min_pin_length", default=6, help="Shortest acceptable voicemail PIN")
MAX_LOGINS = Param(name="max_logins", default=3, help="Most failed PIN attempts allowed per call")
