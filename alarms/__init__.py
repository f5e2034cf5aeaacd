"""The alarm gateway's Qt-free core (docs/alarm-gateway.md): alarm panels' SIA DC-09 messages and panic
apps' HTTP posts turned into `alarm.raise` commands. I/O is in `alarms.gateway`; the rest is sans-I/O."""
