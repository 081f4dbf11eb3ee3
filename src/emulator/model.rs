//! Users as the demo tenant holds them, the public snapshot / input / patch types, the Graph
//! property names, and a small fast JSON writer for them.

use serde::{Deserialize, Deserializer, Serialize};

/// A snapshot of one user of the demo organisation (what [`super::Control::users`] returns).
///
/// Property names follow Microsoft Graph; `managerId` and `softDeleted` are the emulator's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoUser {
    pub id: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// `"Member"` or `"Guest"`.
    pub user_type: String,
    pub account_enabled: bool,
    /// Object id of the manager, if any.
    pub manager_id: Option<String>,
    /// In the deleted-items container (restorable); such users are not served by Graph.
    pub soft_deleted: bool,
}

/// A new user for [`super::Control::add_user`]. Everything but `display_name` is optional;
/// a missing `user_principal_name` is derived from the names and the tenant domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DemoUserInput {
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// Defaults to `"Member"`.
    pub user_type: Option<String>,
    /// Defaults to `true`.
    pub account_enabled: bool,
    pub manager_id: Option<String>,
}

impl Default for DemoUserInput {
    fn default() -> Self {
        DemoUserInput {
            display_name: String::new(),
            given_name: None,
            surname: None,
            user_principal_name: None,
            mail: None,
            job_title: None,
            department: None,
            office_location: None,
            company_name: None,
            employee_id: None,
            mobile_phone: None,
            business_phones: Vec::new(),
            city: None,
            country: None,
            user_type: None,
            account_enabled: true,
            manager_id: None,
        }
    }
}

/// A change to a user's attributes for [`super::Control::update_user`].
///
/// `None` leaves a property alone; for nullable properties `Some(None)` clears it.
/// In JSON (the `/_demo` API) a missing key leaves it alone and `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DemoUserPatch {
    pub display_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub given_name: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub surname: Option<Option<String>>,
    pub user_principal_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub mail: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub job_title: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub department: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub office_location: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub company_name: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub employee_id: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub mobile_phone: Option<Option<String>>,
    pub business_phones: Option<Vec<String>>,
    #[serde(deserialize_with = "nullable")]
    pub city: Option<Option<String>>,
    #[serde(deserialize_with = "nullable")]
    pub country: Option<Option<String>>,
    pub user_type: Option<String>,
    pub account_enabled: Option<bool>,
}

/// A present key (even `null`) becomes `Some(..)`; a missing key stays `None` via `default`.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The attributes the emulator stores for a user (everything but id, manager and lifecycle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attrs {
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub user_type: String,
    pub account_enabled: bool,
}

/// The Graph user properties the emulator knows, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    BusinessPhones,
    DisplayName,
    GivenName,
    Surname,
    UserPrincipalName,
    Mail,
    JobTitle,
    Department,
    OfficeLocation,
    CompanyName,
    EmployeeId,
    MobilePhone,
    City,
    Country,
    UserType,
    AccountEnabled,
    /// The `manager` navigation property (delta: `manager@delta`).
    Manager,
}

impl Field {
    pub const ALL: [Field; 18] = [
        Field::Id,
        Field::BusinessPhones,
        Field::DisplayName,
        Field::GivenName,
        Field::Surname,
        Field::UserPrincipalName,
        Field::Mail,
        Field::JobTitle,
        Field::Department,
        Field::OfficeLocation,
        Field::CompanyName,
        Field::EmployeeId,
        Field::MobilePhone,
        Field::City,
        Field::Country,
        Field::UserType,
        Field::AccountEnabled,
        Field::Manager,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::BusinessPhones => "businessPhones",
            Field::DisplayName => "displayName",
            Field::GivenName => "givenName",
            Field::Surname => "surname",
            Field::UserPrincipalName => "userPrincipalName",
            Field::Mail => "mail",
            Field::JobTitle => "jobTitle",
            Field::Department => "department",
            Field::OfficeLocation => "officeLocation",
            Field::CompanyName => "companyName",
            Field::EmployeeId => "employeeId",
            Field::MobilePhone => "mobilePhone",
            Field::City => "city",
            Field::Country => "country",
            Field::UserType => "userType",
            Field::AccountEnabled => "accountEnabled",
            Field::Manager => "manager",
        }
    }

    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Graph property names are matched case-insensitively.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// The stored attributes (no id, no manager).
pub(crate) const ATTR_MASK: u32 = !(1 << (Field::Id as u32)) & !(1 << (Field::Manager as u32));

/// What Graph returns for a user when there is no `$select`.
pub(crate) const DEFAULT_MASK: u32 = (1 << Field::Id as u32)
    | (1 << Field::BusinessPhones as u32)
    | (1 << Field::DisplayName as u32)
    | (1 << Field::GivenName as u32)
    | (1 << Field::Surname as u32)
    | (1 << Field::UserPrincipalName as u32)
    | (1 << Field::Mail as u32)
    | (1 << Field::JobTitle as u32)
    | (1 << Field::MobilePhone as u32)
    | (1 << Field::OfficeLocation as u32);

/// Real Graph user properties the emulator does not model: accepted in `$select` and returned
/// as `null` (so a client selecting them is not refused).
const UNMODELLED: &[&str] = &[
    "preferredLanguage",
    "employeeType",
    "employeeHireDate",
    "onPremisesSamAccountName",
    "onPremisesImmutableId",
    "onPremisesSyncEnabled",
    "onPremisesDistinguishedName",
    "onPremisesUserPrincipalName",
    "onPremisesExtensionAttributes",
    "state",
    "streetAddress",
    "postalCode",
    "usageLocation",
    "faxNumber",
    "otherMails",
    "proxyAddresses",
    "imAddresses",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "mailNickname",
    "showInAddressList",
    "ageGroup",
    "consentProvidedForMinor",
    "legalAgeGroupClassification",
];

/// A parsed `$select`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Select {
    pub mask: u32,
    /// Selected properties the emulator does not model (returned as `null` in full objects).
    pub unmodelled: Vec<&'static str>,
    /// The `$select` text as given back in links (`None` = no `$select`).
    pub text: Option<String>,
}

impl Select {
    pub fn default_set() -> Select {
        Select {
            mask: DEFAULT_MASK,
            unmodelled: Vec::new(),
            text: None,
        }
    }

    /// Parses a `$select` value; `Err(name)` names the first unknown property.
    pub fn parse(raw: &str) -> Result<Select, String> {
        let mut mask = 0u32;
        let mut unmodelled = Vec::new();
        let mut names = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let name = if let Some(f) = Field::parse(part) {
                mask |= f.bit();
                f.name()
            } else if let Some(u) = UNMODELLED.iter().find(|u| u.eq_ignore_ascii_case(part)) {
                if !unmodelled.contains(u) {
                    unmodelled.push(*u);
                }
                u
            } else {
                return Err(part.to_string());
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if mask == 0 && unmodelled.is_empty() {
            return Ok(Select::default_set());
        }
        Ok(Select {
            mask,
            unmodelled,
            text: Some(names.join(",")),
        })
    }

    pub fn has(&self, f: Field) -> bool {
        self.mask & f.bit() != 0
    }

    /// `users` or `users(displayName,manager)` for `@odata.context`.
    pub fn context_suffix(&self) -> String {
        match &self.text {
            Some(t) => format!("users({t})"),
            None => "users".to_string(),
        }
    }
}

/// A borrowed property value.
pub(crate) enum Val<'a> {
    Str(&'a str),
    OptStr(Option<&'a str>),
    Strs(&'a [String]),
    Bool(bool),
}

impl Attrs {
    pub fn value(&self, f: Field) -> Option<Val<'_>> {
        Some(match f {
            Field::Id | Field::Manager => return None,
            Field::BusinessPhones => Val::Strs(&self.business_phones),
            Field::DisplayName => Val::Str(&self.display_name),
            Field::GivenName => Val::OptStr(self.given_name.as_deref()),
            Field::Surname => Val::OptStr(self.surname.as_deref()),
            Field::UserPrincipalName => Val::Str(&self.user_principal_name),
            Field::Mail => Val::OptStr(self.mail.as_deref()),
            Field::JobTitle => Val::OptStr(self.job_title.as_deref()),
            Field::Department => Val::OptStr(self.department.as_deref()),
            Field::OfficeLocation => Val::OptStr(self.office_location.as_deref()),
            Field::CompanyName => Val::OptStr(self.company_name.as_deref()),
            Field::EmployeeId => Val::OptStr(self.employee_id.as_deref()),
            Field::MobilePhone => Val::OptStr(self.mobile_phone.as_deref()),
            Field::City => Val::OptStr(self.city.as_deref()),
            Field::Country => Val::OptStr(self.country.as_deref()),
            Field::UserType => Val::Str(&self.user_type),
            Field::AccountEnabled => Val::Bool(self.account_enabled),
        })
    }

    /// Applies a patch; returns the mask of properties whose value actually changed.
    pub fn apply(&mut self, p: DemoUserPatch) -> u32 {
        fn set<T: PartialEq>(slot: &mut T, v: Option<T>, f: Field, mask: &mut u32) {
            if let Some(v) = v
                && *slot != v
            {
                *slot = v;
                *mask |= f.bit();
            }
        }
        let mut m = 0;
        set(
            &mut self.display_name,
            p.display_name,
            Field::DisplayName,
            &mut m,
        );
        set(&mut self.given_name, p.given_name, Field::GivenName, &mut m);
        set(&mut self.surname, p.surname, Field::Surname, &mut m);
        set(
            &mut self.user_principal_name,
            p.user_principal_name,
            Field::UserPrincipalName,
            &mut m,
        );
        set(&mut self.mail, p.mail, Field::Mail, &mut m);
        set(&mut self.job_title, p.job_title, Field::JobTitle, &mut m);
        set(
            &mut self.department,
            p.department,
            Field::Department,
            &mut m,
        );
        set(
            &mut self.office_location,
            p.office_location,
            Field::OfficeLocation,
            &mut m,
        );
        set(
            &mut self.company_name,
            p.company_name,
            Field::CompanyName,
            &mut m,
        );
        set(
            &mut self.employee_id,
            p.employee_id,
            Field::EmployeeId,
            &mut m,
        );
        set(
            &mut self.mobile_phone,
            p.mobile_phone,
            Field::MobilePhone,
            &mut m,
        );
        set(
            &mut self.business_phones,
            p.business_phones,
            Field::BusinessPhones,
            &mut m,
        );
        set(&mut self.city, p.city, Field::City, &mut m);
        set(&mut self.country, p.country, Field::Country, &mut m);
        set(&mut self.user_type, p.user_type, Field::UserType, &mut m);
        set(
            &mut self.account_enabled,
            p.account_enabled,
            Field::AccountEnabled,
            &mut m,
        );
        m
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                buf.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(esc);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Appends `"name":value`; the caller handles the separating comma.
pub(crate) fn write_prop(buf: &mut Vec<u8>, name: &str, v: &Val<'_>) {
    write_str(buf, name);
    buf.push(b':');
    match v {
        Val::Str(s) | Val::OptStr(Some(s)) => write_str(buf, s),
        Val::OptStr(None) => buf.extend_from_slice(b"null"),
        Val::Bool(true) => buf.extend_from_slice(b"true"),
        Val::Bool(false) => buf.extend_from_slice(b"false"),
        Val::Strs(list) => {
            buf.push(b'[');
            for (i, s) in list.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_str(buf, s);
            }
            buf.push(b']');
        }
    }
}

/// Writes `{` and the selected properties of a full object (no closing brace); `id` only
/// when `mask` has it. Unmodelled selected names are written as `null`. Returns whether
/// anything was written (so the caller knows whether a comma is needed).
pub(crate) fn open_user(
    buf: &mut Vec<u8>,
    id: &str,
    a: &Attrs,
    mask: u32,
    unmodelled: &[&'static str],
) -> bool {
    buf.push(b'{');
    let mut any = false;
    if mask & Field::Id.bit() != 0 {
        write_prop(buf, "id", &Val::Str(id));
        any = true;
    }
    for f in Field::ALL {
        if mask & f.bit() == 0 {
            continue;
        }
        if let Some(v) = a.value(f) {
            if any {
                buf.push(b',');
            }
            write_prop(buf, f.name(), &v);
            any = true;
        }
    }
    for u in unmodelled {
        if any {
            buf.push(b',');
        }
        write_prop(buf, u, &Val::OptStr(None));
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_json_strings() {
        let mut b = Vec::new();
        write_str(&mut b, "a\"b\\c\nd\u{1}é王");
        let s = String::from_utf8(b).unwrap();
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é王");
    }

    #[test]
    fn select_parses_case_insensitively_and_rejects_unknown() {
        let s = Select::parse("DisplayName, manager,preferredLanguage").unwrap();
        assert!(s.has(Field::DisplayName) && s.has(Field::Manager));
        assert_eq!(s.unmodelled, vec!["preferredLanguage"]);
        assert_eq!(
            s.text.as_deref(),
            Some("displayName,manager,preferredLanguage")
        );
        assert_eq!(Select::parse("nope").unwrap_err(), "nope");
        assert_eq!(Select::parse("").unwrap(), Select::default_set());
    }

    #[test]
    fn patch_reports_only_real_changes() {
        let mut a = Attrs {
            display_name: "A".into(),
            given_name: None,
            surname: None,
            user_principal_name: "a@x".into(),
            mail: None,
            job_title: Some("Dev".into()),
            department: None,
            office_location: None,
            company_name: None,
            employee_id: None,
            mobile_phone: None,
            business_phones: vec![],
            city: None,
            country: None,
            user_type: "Member".into(),
            account_enabled: true,
        };
        let p = DemoUserPatch {
            display_name: Some("A".into()),
            job_title: Some(None),
            ..Default::default()
        };
        assert_eq!(a.apply(p), Field::JobTitle.bit());
        assert_eq!(a.job_title, None);
        let json: DemoUserPatch = serde_json::from_str(r#"{"mail":null,"city":"Oslo"}"#).unwrap();
        assert_eq!(json.mail, Some(None));
        assert_eq!(json.city, Some(Some("Oslo".into())));
        assert_eq!(json.surname, None);
    }
}
