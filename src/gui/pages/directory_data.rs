//! The directory as the Directory page shows it, built off the UI thread: users with a
//! search text each, the manager hierarchy (roots, direct reports, all reports), and the
//! filtered, sorted row order of the table. Pure functions, cheap to test.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::model::{ClientKey, DirectoryUser};

pub struct DirectoryData {
    pub client: ClientKey,
    pub users: Vec<DirectoryUser>,
    /// Lower-cased name, UPN, mail, title, department, office, employee id.
    search: Vec<String>,
    /// Index of each user's manager, when the manager is in the directory.
    pub manager: Vec<Option<usize>>,
    /// Direct reports, sorted by name.
    pub children: Vec<Vec<usize>>,
    /// People without a manager (in this directory): most reports first, then by name.
    pub roots: Vec<usize>,
    /// Everyone below each person.
    pub all_reports: Vec<u32>,
}

/// Table columns that can be sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortColumn {
    Name,
    Email,
    Title,
    Department,
    Manager,
    Account,
}

impl SortColumn {
    pub const ALL: [SortColumn; 6] = [
        SortColumn::Name,
        SortColumn::Email,
        SortColumn::Title,
        SortColumn::Department,
        SortColumn::Manager,
        SortColumn::Account,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "Name",
            SortColumn::Email => "Email / UPN",
            SortColumn::Title => "Job title",
            SortColumn::Department => "Department",
            SortColumn::Manager => "Manager",
            SortColumn::Account => "Account",
        }
    }
}

/// How the table is filtered and ordered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewSpec {
    pub query: String,
    pub sort: SortColumn,
    pub ascending: bool,
}

impl Default for ViewSpec {
    fn default() -> Self {
        Self {
            query: String::new(),
            sort: SortColumn::Name,
            ascending: true,
        }
    }
}

pub fn name(u: &DirectoryUser) -> &str {
    u.attributes
        .display_name
        .as_deref()
        .or(u.attributes.user_principal_name.as_deref())
        .unwrap_or(&u.id)
}

pub fn email(u: &DirectoryUser) -> &str {
    u.attributes
        .mail
        .as_deref()
        .or(u.attributes.user_principal_name.as_deref())
        .unwrap_or("")
}

pub fn enabled(u: &DirectoryUser) -> bool {
    u.attributes.account_enabled != Some(false)
}

impl DirectoryData {
    pub fn build(client: ClientKey, users: Vec<DirectoryUser>) -> Self {
        let n = users.len();
        let by_id: HashMap<&str, usize> = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i))
            .collect();
        let manager: Vec<Option<usize>> = users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                u.manager_id
                    .as_deref()
                    .and_then(|m| by_id.get(m).copied())
                    .filter(|&m| m != i)
            })
            .collect();
        drop(by_id);
        let search = users
            .iter()
            .map(|u| {
                let a = &u.attributes;
                [
                    a.display_name.as_deref(),
                    a.user_principal_name.as_deref(),
                    a.mail.as_deref(),
                    a.job_title.as_deref(),
                    a.department.as_deref(),
                    a.office_location.as_deref(),
                    a.employee_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\u{1f}")
                .to_lowercase()
            })
            .collect();
        let mut data = DirectoryData {
            client,
            users,
            search,
            manager,
            children: vec![Vec::new(); n],
            roots: Vec::new(),
            all_reports: vec![0; n],
        };
        data.build_tree();
        data
    }

    fn by_name(&self) -> impl Fn(&usize, &usize) -> Ordering + '_ {
        |a, b| {
            let (na, nb) = (name(&self.users[*a]), name(&self.users[*b]));
            na.to_lowercase()
                .cmp(&nb.to_lowercase())
                .then_with(|| self.users[*a].id.cmp(&self.users[*b].id))
        }
    }

    fn build_tree(&mut self) {
        let n = self.users.len();
        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, m) in self.manager.iter().enumerate() {
            match m {
                Some(m) => children[*m].push(i),
                None => roots.push(i),
            }
        }
        // Walk down from the roots; whatever is not reached sits in a manager cycle:
        // its first member becomes a root so everyone is shown once.
        let mut reached = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<usize> = roots.clone();
        let mut next_unreached = 0;
        loop {
            while let Some(i) = stack.pop() {
                if std::mem::replace(&mut reached[i], true) {
                    continue;
                }
                order.push(i);
                stack.extend(children[i].iter().copied().filter(|c| !reached[*c]));
            }
            while next_unreached < n && reached[next_unreached] {
                next_unreached += 1;
            }
            if next_unreached >= n {
                break;
            }
            roots.push(next_unreached);
            self.manager[next_unreached] = None;
            stack.push(next_unreached);
        }
        // The cycle breakers are roots now: drop them from their old manager's list.
        for list in &mut children {
            list.retain(|c| self.manager[*c].is_some());
        }
        let mut all = vec![0u32; n];
        for &i in order.iter().rev() {
            if let Some(m) = self.manager[i] {
                all[m] += all[i] + 1;
            }
        }
        {
            let cmp = self.by_name();
            for list in &mut children {
                list.sort_by(&cmp);
            }
            // The top of the organisation first: people with the most reports, then
            // everyone else without a manager (guests, service accounts) by name.
            roots.sort_by(|a, b| all[*b].cmp(&all[*a]).then_with(|| cmp(a, b)));
        }
        self.children = children;
        self.roots = roots;
        self.all_reports = all;
    }

    pub fn manager_name(&self, i: usize) -> &str {
        self.manager[i].map(|m| name(&self.users[m])).unwrap_or("")
    }

    /// The table's rows for `spec`: matching users in order. Every word of the query
    /// must appear (in any field).
    pub fn view(&self, spec: &ViewSpec) -> Vec<usize> {
        let words: Vec<String> = spec
            .query
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut rows: Vec<usize> = (0..self.users.len())
            .filter(|&i| words.iter().all(|w| self.search[i].contains(w.as_str())))
            .collect();
        let key = |i: usize| -> String {
            let u = &self.users[i];
            let a = &u.attributes;
            match spec.sort {
                SortColumn::Name => name(u).to_lowercase(),
                SortColumn::Email => email(u).to_lowercase(),
                SortColumn::Title => a.job_title.clone().unwrap_or_default().to_lowercase(),
                SortColumn::Department => a.department.clone().unwrap_or_default().to_lowercase(),
                SortColumn::Manager => self.manager_name(i).to_lowercase(),
                SortColumn::Account => if enabled(u) { "0" } else { "1" }.to_string(),
            }
        };
        let mut keyed: Vec<(String, usize)> = rows.drain(..).map(|i| (key(i), i)).collect();
        keyed.sort_by(|a, b| {
            // Empty values go last either way.
            let ord = match (a.0.is_empty(), b.0.is_empty()) {
                (true, false) => return Ordering::Greater,
                (false, true) => return Ordering::Less,
                _ => a.0.cmp(&b.0),
            };
            let ord = if spec.ascending { ord } else { ord.reverse() };
            ord.then_with(|| self.users[a.1].id.cmp(&self.users[b.1].id))
        });
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// The managers above `i`, nearest first.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.manager[i];
        while let Some(m) = cur {
            if out.contains(&m) || out.len() > self.users.len() {
                break;
            }
            out.push(m);
            cur = self.manager[m];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserAttributes;

    fn u(id: &str, name: &str, manager: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            attributes: UserAttributes {
                display_name: Some(name.into()),
                job_title: Some(format!("title {name}")),
                ..Default::default()
            },
            manager_id: manager.map(String::from),
            sso: None,
            deleted: false,
        }
    }

    #[test]
    fn tree_counts_and_cycles() {
        let users = vec![
            u("ceo", "Ceo", None),
            u("a", "Alice", Some("ceo")),
            u("b", "Bob", Some("a")),
            u("c", "Carol", Some("a")),
            u("x", "Xavier", Some("y")),
            u("y", "Yvonne", Some("x")),
            u("z", "Zed", Some("missing")),
        ];
        let d = DirectoryData::build(ClientKey::new(), users);
        let names = |v: &[usize]| {
            v.iter()
                .map(|&i| name(&d.users[i]).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&d.roots), ["Ceo", "Xavier", "Zed"]);
        assert_eq!(d.all_reports[6], 0);
        assert_eq!(d.all_reports[0], 3);
        assert_eq!(d.all_reports[1], 2);
        assert_eq!(names(&d.children[1]), ["Bob", "Carol"]);
        assert_eq!(d.all_reports[4], 1);
        assert_eq!(names(&d.ancestors(2)), ["Alice", "Ceo"]);
    }

    #[test]
    fn search_and_sort() {
        let users = vec![
            u("1", "Émile Zola", None),
            u("2", "anna Berg", Some("1")),
            u("3", "Bob Stone", Some("1")),
        ];
        let d = DirectoryData::build(ClientKey::new(), users);
        let mut spec = ViewSpec::default();
        assert_eq!(d.view(&spec), vec![1, 2, 0]);
        spec.ascending = false;
        assert_eq!(d.view(&spec), vec![0, 2, 1]);
        spec.query = "ZOLA title".into();
        assert_eq!(d.view(&spec), vec![0]);
        spec.query = "émile".into();
        assert_eq!(d.view(&spec), vec![0]);
        spec.query = String::new();
        spec.sort = SortColumn::Manager;
        spec.ascending = true;
        assert_eq!(d.view(&spec), vec![1, 2, 0]);
    }
}
