//! The generated organisation: deterministic for a seed (rand's seeded `StdRng`).
//!
//! A CEO, one VP per department, then per department a tree of directors / managers / ICs
//! with a span of about seven, a few guests from partner companies, ~5% disabled accounts,
//! names from several locales (many with non-ASCII letters), and some empty optional fields.
//! Slots are shuffled so managers do not always come before their reports.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::model::Attrs;
use super::names::{DEPTS, Dept, FIXED_NAMES, LOCALES, Name, OFFICES, PARTNERS};
use super::org::{Life, Rec};

pub(crate) const COMPANY: &str = "Contoso Demo";
pub(crate) const APP_NAME: &str = "User Sync Demo";

/// The credentials and names of the demo tenant, derived from the seed only.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub tenant_id: String,
    pub tenant_domain: String,
    pub client_id: String,
    pub client_secret: String,
    pub secret_id: String,
}

pub(crate) fn guid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

fn pick_chars(rng: &mut StdRng, set: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| set[rng.random_range(0..set.len())] as char)
        .collect()
}

pub(crate) fn identity(seed: u64) -> Identity {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_1d3a_7e4a_a7c5);
    const LOWER_DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
    let tenant_id = guid(&mut rng);
    let client_id = guid(&mut rng);
    let secret_id = guid(&mut rng);
    let domain = format!(
        "demo-{}.onmicrosoft.com",
        pick_chars(&mut rng, LOWER_DIGITS, 8)
    );
    // Entra secret values: 3 characters, a digit, "Q~", then 34 more (40 in all).
    let client_secret = format!(
        "{}{}Q~{}",
        pick_chars(&mut rng, ALNUM, 3),
        rng.random_range(0..10u8),
        pick_chars(&mut rng, SECRET, 34)
    );
    Identity {
        tenant_id,
        tenant_domain: domain,
        client_id,
        client_secret,
        secret_id,
    }
}

const SPAN: usize = 7;

/// Lowercases and strips diacritics for UPNs; keeps `a-z0-9` only.
pub(crate) fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let rep: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' => "d",
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ě' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ı' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ő' => "o",
            'œ' => "oe",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' => "t",
            'ú' | 'ù' | 'û' | 'ü' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'ğ' => "g",
            _ => "",
        };
        out.push_str(rep);
    }
    out
}

fn ascii_of(n: Name) -> String {
    if n.1.is_empty() {
        ascii_fold(n.0)
    } else {
        n.1.to_string()
    }
}

struct Person {
    given: Name,
    surname: Name,
    order: u8,
    office: usize,
}

struct Gen<'a> {
    rng: StdRng,
    domain: &'a str,
    upns: HashMap<String, u32>,
    recs: Vec<Rec>,
    managers: Vec<Option<usize>>,
    employee_no: u32,
}

impl Gen<'_> {
    fn person(&mut self) -> Person {
        let total: u32 = LOCALES.iter().map(|l| l.weight).sum();
        let mut x = self.rng.random_range(0..total);
        let mut li = 0;
        for (i, l) in LOCALES.iter().enumerate() {
            if x < l.weight {
                li = i;
                break;
            }
            x -= l.weight;
        }
        let l = &LOCALES[li];
        let given = *l.given.choose(&mut self.rng).unwrap_or(&("Alex", ""));
        let surname = *l.surnames.choose(&mut self.rng).unwrap_or(&("Doe", ""));
        let office = self.office_for(li);
        Person {
            given,
            surname,
            order: l.order,
            office,
        }
    }

    fn office_for(&mut self, locale: usize) -> usize {
        if self.rng.random_bool(0.75) {
            *LOCALES[locale].offices.choose(&mut self.rng).unwrap_or(&0)
        } else {
            self.rng.random_range(0..OFFICES.len())
        }
    }

    fn unique_upn(&mut self, local: &str, suffix: &str) -> String {
        let base = if local.is_empty() { "user" } else { local };
        let n = self.upns.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            format!("{base}{suffix}")
        } else {
            format!("{base}{n}{suffix}")
        }
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    fn member(&mut self, p: Person, title: &str, dept: &str, manager: Option<usize>) -> usize {
        let (g_ascii, s_ascii) = (ascii_of(p.given), ascii_of(p.surname));
        let display = match p.order {
            1 => format!("{}{}", p.surname.0, p.given.0),
            2 => format!("{} {}", p.surname.0, p.given.0),
            _ => format!("{} {}", p.given.0, p.surname.0),
        };
        let upn = self.unique_upn(
            &format!("{g_ascii}.{s_ascii}"),
            &format!("@{}", self.domain),
        );
        let o = &OFFICES[p.office];
        self.employee_no += 1;
        let r = &mut self.rng;
        let mut attrs = Attrs {
            display_name: display,
            given_name: r.random_bool(0.98).then(|| p.given.0.to_string()),
            surname: r.random_bool(0.98).then(|| p.surname.0.to_string()),
            mail: r.random_bool(0.97).then(|| upn.clone()),
            user_principal_name: upn,
            job_title: Some(title.to_string()),
            department: Some(dept.to_string()),
            office_location: r.random_bool(0.95).then(|| {
                format!(
                    "{} {}/{}",
                    o.code,
                    r.random_range(1..30),
                    r.random_range(1000..3000)
                )
            }),
            company_name: r.random_bool(0.95).then(|| COMPANY.to_string()),
            employee_id: r
                .random_bool(0.97)
                .then(|| format!("{:06}", 100_000 + self.employee_no)),
            mobile_phone: None,
            business_phones: Vec::new(),
            city: None,
            country: None,
            user_type: "Member".to_string(),
            account_enabled: !(manager.is_some() && r.random_bool(0.05)),
        };
        if self.rng.random_bool(0.65) {
            attrs.mobile_phone = Some(format!("{}{}", o.mobile, self.digits(4)));
        }
        if self.rng.random_bool(0.9) {
            attrs.business_phones = vec![format!("{}{}", o.phone, self.digits(4))];
        }
        if self.rng.random_bool(0.97) {
            attrs.city = Some(o.city.to_string());
            attrs.country = Some(o.country.to_string());
        }
        self.push(attrs, manager)
    }

    fn guest(&mut self) -> usize {
        let l = &LOCALES[[0usize, 1, 9][self.rng.random_range(0..3)]];
        let given = *l.given.choose(&mut self.rng).unwrap_or(&("Alex", ""));
        let surname = *l.surnames.choose(&mut self.rng).unwrap_or(&("Doe", ""));
        let (company, partner_domain) = *PARTNERS.choose(&mut self.rng).unwrap_or(&PARTNERS[0]);
        let local = format!("{}.{}", ascii_of(given), ascii_of(surname));
        let upn = self.unique_upn(
            &format!("{local}_{partner_domain}"),
            &format!("#EXT#@{}", self.domain),
        );
        let r = &mut self.rng;
        let attrs = Attrs {
            display_name: format!("{} {} ({company})", given.0, surname.0),
            given_name: Some(given.0.to_string()),
            surname: Some(surname.0.to_string()),
            user_principal_name: upn,
            mail: Some(format!("{local}@{partner_domain}")),
            job_title: r.random_bool(0.5).then(|| {
                ["Consultant", "Partner Manager", "Contractor", "Auditor"][r.random_range(0..4)]
                    .to_string()
            }),
            department: None,
            office_location: None,
            company_name: r.random_bool(0.6).then(|| company.to_string()),
            employee_id: None,
            mobile_phone: None,
            business_phones: Vec::new(),
            city: None,
            country: None,
            user_type: "Guest".to_string(),
            account_enabled: r.random_bool(0.9),
        };
        self.push(attrs, None)
    }

    fn push(&mut self, attrs: Attrs, manager: Option<usize>) -> usize {
        let id = guid(&mut self.rng);
        self.recs.push(Rec {
            id,
            attrs,
            manager: None,
            life: Life::Visible,
        });
        self.managers.push(manager);
        self.recs.len() - 1
    }

    /// A department of `k` people under `vp`: layers of managers above the ICs.
    fn department(&mut self, dept: &Dept, vp: usize, k: usize) {
        if k == 0 {
            return;
        }
        // Layer sizes, bottom (ICs) first.
        let mut sizes = Vec::new();
        let mut remaining = k;
        while remaining > SPAN {
            let managers = remaining.div_ceil(SPAN + 1);
            sizes.push(remaining - managers);
            remaining = managers;
        }
        sizes.push(remaining);
        sizes.reverse(); // top first
        let mgmt_layers = sizes.len() - 1;
        let mut above: Vec<usize> = vec![vp];
        for (layer, &size) in sizes.iter().enumerate() {
            let mut this = Vec::with_capacity(size);
            for j in 0..size {
                let boss = above[j * above.len() / size];
                let title = if layer == mgmt_layers {
                    dept.ics
                        .choose(&mut self.rng)
                        .copied()
                        .unwrap_or("Specialist")
                        .to_string()
                } else if mgmt_layers == 1 || layer + 1 == mgmt_layers {
                    dept.manager.to_string()
                } else if layer == 0 && mgmt_layers >= 4 {
                    format!("Senior Director, {}", dept.name)
                } else if layer <= 1 {
                    format!("Director, {}", dept.name)
                } else {
                    format!("Senior {}", dept.manager)
                };
                let p = self.person();
                this.push(self.member(p, &title, dept.name, Some(boss)));
            }
            above = this;
        }
    }
}

/// Generates `n` users for `seed` under `domain`.
pub(crate) fn organisation(n: usize, seed: u64, domain: &str) -> Vec<Rec> {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        domain,
        upns: HashMap::new(),
        recs: Vec::with_capacity(n),
        managers: Vec::with_capacity(n),
        employee_no: 0,
    };
    if n == 0 {
        return Vec::new();
    }
    let guests = if n >= 20 { (n / 50).max(1) } else { 0 };
    let members = n - guests;
    let ceo_person = g.person();
    let ceo = g.member(ceo_person, "Chief Executive Officer", "Executive", None);
    let vps = DEPTS.len().min(members - 1);
    let mut vp_slots = Vec::with_capacity(vps);
    for (i, dept) in DEPTS.iter().take(vps).enumerate() {
        let (locale, given, surname) = FIXED_NAMES[i];
        let office = g.office_for(locale);
        let p = Person {
            given,
            surname,
            order: LOCALES[locale].order,
            office,
        };
        vp_slots.push(g.member(
            p,
            &format!("Vice President, {}", dept.name),
            dept.name,
            Some(ceo),
        ));
    }
    // Everyone else, split over the departments by weight (largest remainder).
    let rest = members - 1 - vps;
    let weights: u32 = DEPTS.iter().take(vps).map(|d| d.weight).sum::<u32>().max(1);
    let mut counts: Vec<usize> = DEPTS
        .iter()
        .take(vps)
        .map(|d| rest * d.weight as usize / weights as usize)
        .collect();
    let mut assigned: usize = counts.iter().sum();
    let mut i = 0;
    let n_depts = counts.len();
    while assigned < rest && n_depts > 0 {
        counts[i % n_depts] += 1;
        assigned += 1;
        i += 1;
    }
    for (d, (&vp, &k)) in vp_slots.iter().zip(counts.iter()).enumerate() {
        g.department(&DEPTS[d], vp, k);
    }
    for _ in 0..guests {
        g.guest();
    }
    // Shuffle slots; remap manager links.
    let len = g.recs.len();
    let mut perm: Vec<usize> = (0..len).collect();
    perm.shuffle(&mut g.rng);
    let mut new_pos = vec![0u32; len];
    for (new, &old) in perm.iter().enumerate() {
        new_pos[old] = new as u32;
    }
    let managers = std::mem::take(&mut g.managers);
    let mut old: Vec<Option<Rec>> = g.recs.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(len);
    for &o in &perm {
        if let Some(mut rec) = old[o].take() {
            rec.manager = managers[o].map(|m| new_pos[m]);
            out.push(rec);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_names_for_upns() {
        assert_eq!(ascii_fold("Núñez"), "nunez");
        assert_eq!(ascii_fold("Ó Briain"), "obriain");
        assert_eq!(ascii_fold("Żółw"), "zolw");
        assert_eq!(ascii_fold("Ødegård"), "odegard");
        assert_eq!(ascii_fold("O'Connor"), "oconnor");
        assert_eq!(ascii_fold("Weiß"), "weiss");
    }

    #[test]
    fn identity_is_realistic_and_deterministic() {
        let a = identity(7);
        let b = identity(7);
        assert_eq!(a.client_secret, b.client_secret);
        assert_eq!(a.client_secret.len(), 40);
        assert_eq!(&a.client_secret[4..6], "Q~");
        assert!(a.tenant_domain.starts_with("demo-"));
        assert!(uuid::Uuid::parse_str(&a.tenant_id).is_ok());
        assert_ne!(identity(8).tenant_id, a.tenant_id);
    }

    #[test]
    fn hierarchy_is_a_tree_under_the_ceo() {
        let recs = organisation(500, 1, "d.example");
        assert_eq!(recs.len(), 500);
        let roots: Vec<_> = recs
            .iter()
            .filter(|r| r.manager.is_none() && r.attrs.user_type == "Member")
            .collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(
            roots[0].attrs.job_title.as_deref(),
            Some("Chief Executive Officer")
        );
        // Every member reaches the CEO without cycles.
        for r in &recs {
            let mut cur = r.manager;
            let mut steps = 0;
            while let Some(m) = cur {
                cur = recs[m as usize].manager;
                steps += 1;
                assert!(steps < 20);
            }
        }
        let guests = recs.iter().filter(|r| r.attrs.user_type == "Guest").count();
        assert_eq!(guests, 10);
        assert!(recs.iter().any(|r| r.attrs.display_name == "王伟"));
        let upns: std::collections::HashSet<_> = recs
            .iter()
            .map(|r| r.attrs.user_principal_name.as_str())
            .collect();
        assert_eq!(upns.len(), 500);
    }

    #[test]
    fn tiny_orgs_work() {
        for n in 0..12 {
            assert_eq!(organisation(n, 3, "d.example").len(), n);
        }
    }
}
