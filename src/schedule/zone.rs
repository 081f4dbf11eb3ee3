//! IANA time zones by name (case does not matter), with suggestions for near misses.

use std::str::FromStr;

use chrono_tz::Tz;

/// Why a time zone name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error(
        "the time zone is empty; use an IANA name such as Europe/Berlin, America/New_York or UTC"
    )]
    Empty,
    #[error(
        "unknown time zone \"{name}\"{}; use an IANA name such as Europe/Berlin, \
         America/New_York or UTC", suggestion_text(.suggestions)
    )]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
}

fn suggestion_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        many => format!(" (did you mean one of {}?)", many.join(", ")),
    }
}

/// Parses an IANA time zone name (case does not matter).
pub fn parse_time_zone(name: &str) -> Result<Tz, TimeZoneError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TimeZoneError::Empty);
    }
    if let Ok(tz) = Tz::from_str(name) {
        return Ok(tz);
    }
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
    {
        return Ok(*tz);
    }
    Err(TimeZoneError::Unknown {
        name: name.to_string(),
        suggestions: suggest_zones(name),
    })
}

fn suggest_zones(name: &str) -> Vec<String> {
    let wanted = name.to_ascii_lowercase().replace(' ', "_");
    let mut scored: Vec<(usize, &'static str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter_map(|tz| {
            let candidate = tz.name().to_ascii_lowercase();
            let city = candidate
                .rsplit('/')
                .next()
                .unwrap_or(&candidate)
                .to_string();
            let distance = edit_distance(&wanted, &candidate).min(edit_distance(&wanted, &city));
            let limit = (wanted.len() / 4).clamp(1, 3);
            (distance <= limit).then_some((distance, tz.name()))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The machine's time zone as an IANA name, or UTC when it cannot be told.
pub fn machine_time_zone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| parse_time_zone(&name).ok())
        .unwrap_or(Tz::UTC)
}
