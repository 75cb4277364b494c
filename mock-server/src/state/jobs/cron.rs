//! Quartz cron expressions and time zones for job schedules (catalogue §7.2 `schedule`; the
//! syntax is Quartz's `CronTrigger`, which <https://docs.databricks.com/api/workspace/jobs/create>
//! points to).
//!
//! Supported: seven fields `sec min hour day-of-month month day-of-week [year]` with `*`, `?`,
//! numbers, `a-b` ranges, `/n` steps, `,` lists, month names `JAN`–`DEC` and day names
//! `SUN`–`SAT` (1 = Sunday). `L`, `W` and `#` are refused (the emulator does not compute them).
//! Time zones are a fixed table of Java zone ids with their standard UTC offsets; daylight
//! saving time is not applied (documented in `docs/emulator.md`).

/// A parsed Quartz cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cron {
    seconds: Vec<u32>,
    minutes: Vec<u32>,
    hours: Vec<u32>,
    /// `None`: `?` or `*` (any day).
    days_of_month: Option<Vec<u32>>,
    months: Vec<u32>,
    /// 1 = Sunday … 7 = Saturday; `None`: any.
    days_of_week: Option<Vec<u32>>,
    years: Option<Vec<u32>>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Java zone ids the emulator knows, with their standard offset in minutes.
const ZONES: &[(&str, i64)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("Etc/UTC", 0),
    ("Etc/GMT", 0),
    ("Europe/London", 0),
    ("Europe/Dublin", 0),
    ("Europe/Lisbon", 0),
    ("Europe/Paris", 60),
    ("Europe/Berlin", 60),
    ("Europe/Amsterdam", 60),
    ("Europe/Madrid", 60),
    ("Europe/Rome", 60),
    ("Europe/Zurich", 60),
    ("Europe/Stockholm", 60),
    ("Europe/Warsaw", 60),
    ("Europe/Helsinki", 120),
    ("Europe/Athens", 120),
    ("Europe/Moscow", 180),
    ("Asia/Dubai", 240),
    ("Asia/Kolkata", 330),
    ("Asia/Calcutta", 330),
    ("Asia/Singapore", 480),
    ("Asia/Shanghai", 480),
    ("Asia/Hong_Kong", 480),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Australia/Sydney", 600),
    ("Pacific/Auckland", 720),
    ("America/Sao_Paulo", -180),
    ("America/New_York", -300),
    ("US/Eastern", -300),
    ("America/Chicago", -360),
    ("US/Central", -360),
    ("America/Denver", -420),
    ("America/Phoenix", -420),
    ("America/Los_Angeles", -480),
    ("US/Pacific", -480),
];

/// The standard UTC offset (minutes) of Java zone id `zone`, if the emulator knows it.
pub(crate) fn zone_offset_minutes(zone: &str) -> Option<i64> {
    if let Some((_, off)) = ZONES.iter().find(|(z, _)| *z == zone) {
        return Some(*off);
    }
    // Etc/GMT+5 is five hours *behind* UTC (POSIX sign convention).
    let rest = zone.strip_prefix("Etc/GMT")?;
    let (sign, digits) = match rest.split_at_checked(1)? {
        ("+", d) => (-1, d),
        ("-", d) => (1, d),
        _ => return None,
    };
    let hours: i64 = digits.parse().ok().filter(|h| *h <= 14)?;
    Some(sign * hours * 60)
}

fn parse_value(raw: &str, min: u32, max: u32, names: Option<&[&str]>) -> Result<u32, String> {
    let up = raw.to_ascii_uppercase();
    if let Some(names) = names {
        if let Some(i) = names.iter().position(|n| *n == up) {
            return u32::try_from(i).map(|i| i + min).map_err(|e| e.to_string());
        }
    }
    let v: u32 = raw
        .parse()
        .map_err(|_| format!("Illegal characters for this position: '{raw}'"))?;
    if !(min..=max).contains(&v) {
        return Err(format!("Value {v} out of range {min}-{max}"));
    }
    Ok(v)
}

/// One field: `None` for `?`/`*` when `any_is_none`, else the sorted set of values.
fn parse_field(
    raw: &str,
    min: u32,
    max: u32,
    names: Option<&[&str]>,
    allow_question: bool,
) -> Result<Option<Vec<u32>>, String> {
    if raw == "?" {
        return if allow_question {
            Ok(None)
        } else {
            Err("'?' can only be specified for Day-of-Month or Day-of-Week.".to_owned())
        };
    }
    if raw.contains(['L', 'W', '#']) && !raw.eq_ignore_ascii_case("WED") {
        return Err(format!(
            "Support for '{raw}' (L, W, #) is not implemented in the emulator."
        ));
    }
    if raw == "*" {
        return Ok(None);
    }
    let mut out = Vec::new();
    for part in raw.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("Illegal step '{s}'"))?;
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                parse_value(a, min, max, names)?,
                parse_value(b, min, max, names)?,
            )
        } else {
            let v = parse_value(range, min, max, names)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return Err(format!("Illegal range {lo}-{hi}"));
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

impl Cron {
    /// Parse a Quartz expression; the error is the reason, for the service's message.
    pub(crate) fn parse(expr: &str) -> Result<Self, String> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if !(6..=7).contains(&fields.len()) {
            return Err("Unexpected end of expression.".to_owned());
        }
        let all = |lo: u32, hi: u32| (lo..=hi).collect::<Vec<_>>();
        let seconds = parse_field(fields[0], 0, 59, None, false)?.unwrap_or_else(|| all(0, 59));
        let minutes = parse_field(fields[1], 0, 59, None, false)?.unwrap_or_else(|| all(0, 59));
        let hours = parse_field(fields[2], 0, 23, None, false)?.unwrap_or_else(|| all(0, 23));
        let dom = parse_field(fields[3], 1, 31, None, true)?;
        let months =
            parse_field(fields[4], 1, 12, Some(&MONTHS), false)?.unwrap_or_else(|| all(1, 12));
        let dow = parse_field(fields[5], 1, 7, Some(&DAYS), true)?;
        if fields[3] != "?" && fields[5] != "?" {
            return Err(
                "Support for specifying both a day-of-week AND a day-of-month parameter is not implemented."
                    .to_owned(),
            );
        }
        let years = match fields.get(6) {
            Some(y) => parse_field(y, 1970, 2199, None, false)?,
            None => None,
        };
        Ok(Self {
            seconds,
            minutes,
            hours,
            days_of_month: dom,
            months,
            days_of_week: dow,
            years,
        })
    }

    fn day_matches(&self, days_since_epoch: i64) -> bool {
        let (y, m, d) = civil_from_days(days_since_epoch);
        // 1970-01-01 was a Thursday (Quartz: 5).
        let dow = u32::try_from((days_since_epoch + 4).rem_euclid(7) + 1).unwrap_or(1);
        self.months.contains(&m)
            && self.days_of_month.as_ref().is_none_or(|s| s.contains(&d))
            && self.days_of_week.as_ref().is_none_or(|s| s.contains(&dow))
            && self
                .years
                .as_ref()
                .is_none_or(|s| u32::try_from(y).is_ok_and(|y| s.contains(&y)))
    }

    /// The first firing strictly after `after_ms` (UTC epoch ms) in a zone `offset_min` minutes
    /// from UTC; `None` when there is none in the next ten years.
    pub(crate) fn next_after(&self, after_ms: i64, offset_min: i64) -> Option<i64> {
        let offset_s = offset_min * 60;
        // First whole second strictly after `after_ms`, in local seconds.
        let local = after_ms.div_euclid(1000) + 1 + offset_s;
        let first = local.div_euclid(86_400);
        let mut from_sod = local.rem_euclid(86_400);
        for day in first..first + 3700 {
            if self.day_matches(day) {
                for &h in &self.hours {
                    for &m in &self.minutes {
                        for &s in &self.seconds {
                            let sod = i64::from(h * 3600 + m * 60 + s);
                            if sod >= from_sod {
                                return Some((day * 86_400 + sod - offset_s) * 1000);
                            }
                        }
                    }
                }
            }
            from_sod = 0;
        }
        None
    }
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_and_daily_expressions_fire_on_time() {
        let hourly = Cron::parse("0 0 * * * ?").expect("valid");
        assert_eq!(hourly.next_after(0, 0), Some(3_600_000));
        assert_eq!(hourly.next_after(3_600_000, 0), Some(7_200_000));
        let daily = Cron::parse("0 30 9 * * ?").expect("valid");
        // 09:30 in Kolkata (+05:30) is 04:00 UTC.
        assert_eq!(daily.next_after(0, 330), Some(4 * 3_600_000));
        let weekdays = Cron::parse("0 0 12 ? * MON-FRI").expect("valid");
        // 1970-01-01 is a Thursday: Thursday noon, then Friday noon, then Monday noon.
        let first = weekdays.next_after(0, 0).expect("fires");
        let second = weekdays.next_after(first, 0).expect("fires");
        let third = weekdays.next_after(second, 0).expect("fires");
        assert_eq!(
            [first, second, third],
            [12 * 3_600_000, 36 * 3_600_000, (4 * 24 + 12) * 3_600_000]
        );
    }

    #[test]
    fn bad_expressions_and_zones_are_refused() {
        for bad in [
            "",
            "0 0 * * *",
            "0 61 * * * ?",
            "0 0 * 1 * MON",
            "0 0 * L * ?",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(zone_offset_minutes("Etc/GMT+5"), Some(-300));
        assert_eq!(zone_offset_minutes("Mars/Olympus"), None);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
