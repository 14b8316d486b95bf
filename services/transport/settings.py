"""The transport service's own configuration, read from the environment by the composition root.

TRANSPORT_DISTRICT_AIRPORTS: a JSON object of district → {"airport": IATA, "city": ...}
merged over the built-in table (routing.DEFAULT_DISTRICT_AIRPORTS), e.g.
'{"WDNC": {"airport": "CLT", "city": "Charlotte"}}'.
TRANSPORT_DEFAULT_AIRPORT: optional {"airport", "city"} for districts not in the table; unset
(the default), such a district is refused with "no_airport_for_district".

`settings_of(runtime)` reads it once per runtime, lazily; tests hand in their own with
`configure(runtime, TransportSettings(...))` before using the runtime.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.envsettings import EnvSettings
from shared.runtime_settings import per_runtime
from shared.service import ServiceRuntime

from .routing import DEFAULT_DISTRICT_AIRPORTS, Airport, RouteTable


class AirportSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    airport: str = Field(pattern=r"^[A-Z]{3}$")
    city: str = Field(min_length=1, max_length=100)


class TransportSettings(EnvSettings):
    district_airports: dict[str, AirportSetting] = Field(
        default_factory=dict, validation_alias="TRANSPORT_DISTRICT_AIRPORTS")
    default_airport: AirportSetting | None = Field(
        default=None, validation_alias="TRANSPORT_DEFAULT_AIRPORT")

    def routes(self) -> RouteTable:
        table = dict(DEFAULT_DISTRICT_AIRPORTS)
        table.update({district.upper(): Airport(a.airport, a.city)
                      for district, a in self.district_airports.items()})
        fallback = self.default_airport
        return RouteTable(table, None if fallback is None
                          else Airport(fallback.airport, fallback.city))


configure, settings_of = per_runtime(TransportSettings)


def routes_of(runtime: ServiceRuntime) -> RouteTable:
    return settings_of(runtime).routes()
