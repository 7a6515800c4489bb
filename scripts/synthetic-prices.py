#!/usr/bin/env python3
"""Writes examples/scenarios/austin_prices_hourly.csv: a SYNTHETIC hourly energy price year
($/MWh, 8,760 rows from 2025-01-01 00:00, columns t_s and usd_per_mwh) for the bundled
value-stacking scenario. It is not market data: no download, no published trace. How it is made
(every figure an assumption, chosen to look like an ERCOT-like real-time year, where typical
prices are $30-50/MWh and the offer cap is $5,000/MWh):

* a daily shape: $22 at night (00-06), rising to $30 by 09:00, $32 at midday, an evening peak
  of $55 at 18:00-20:00, back to $25 by 23:00;
* summer (June-September) afternoons and evenings (14:00-21:00) x 1.6, winter (December-
  February) mornings (06:00-09:00) x 1.3;
* multiplicative log-normal noise, sigma 0.15, from Python's random.Random(2025);
* 4 scarcity events of 3 hours in July-August at 16:00-19:00, at $1,000-3,000/MWh;
* 40 windy spring nights' hours (March-April, 01:00-05:00) at -$15 to -$2/MWh.

Run it from the repository root: python3 scripts/synthetic-prices.py
"""
import math
import random

HOURS = 8760
DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
SHAPE = [22, 22, 22, 22, 22, 22, 25, 28, 30, 30, 31, 32, 32, 32, 33, 36, 42, 50, 55, 55, 55, 45, 32, 25]


def month_of(hour):
    day = hour // 24
    for m, n in enumerate(DAYS_IN_MONTH):
        if day < n:
            return m + 1
        day -= n
    raise ValueError(hour)


def main():
    rng = random.Random(2025)
    prices = []
    for h in range(HOURS):
        hod, month = h % 24, month_of(h)
        p = SHAPE[hod]
        if month in (6, 7, 8, 9) and 14 <= hod <= 21:
            p *= 1.6
        if month in (12, 1, 2) and 6 <= hod <= 9:
            p *= 1.3
        p *= math.exp(rng.gauss(0.0, 0.15))
        prices.append(p)
    # Scarcity events: July-August days, 16:00-19:00.
    summer_days = [d for d in range(365) if month_of(24 * d) in (7, 8)]
    for d in rng.sample(summer_days, 4):
        for hod in (16, 17, 18):
            prices[24 * d + hod] = rng.uniform(1000.0, 3000.0)
    # Negative prices: spring nights.
    spring = [24 * d + hod for d in range(365) if month_of(24 * d) in (3, 4) for hod in range(1, 5)]
    for h in rng.sample(spring, 40):
        prices[h] = rng.uniform(-15.0, -2.0)
    with open("examples/scenarios/austin_prices_hourly.csv", "w") as f:
        f.write("t_s,usd_per_mwh\n")
        for h, p in enumerate(prices):
            f.write(f"{3600 * h},{p:.2f}\n")
    mean = sum(prices) / HOURS
    print(f"wrote {HOURS} hours, mean {mean:.2f} $/MWh, min {min(prices):.2f}, max {max(prices):.2f}")


if __name__ == "__main__":
    main()
