//! URL rules: base URLs of the authority and Graph (https only, plain http only to
//! loopback, no credentials or query parts), and small helpers for building and logging.

use url::{Host, Url};

use crate::graph::error::GraphError;

/// `host/path` of a URL, for logs: no query (skip tokens are long and not useful).
pub(crate) fn loggable(url: &Url) -> String {
    let mut s = url.origin().ascii_serialization();
    s.push_str(url.path());
    s
}

pub(crate) fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    rest.split('/').next().unwrap_or(rest)
}

/// Loopback: 127.0.0.0/8, ::1, `localhost`.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost")
        }
    }
}

/// Parse and check a base URL (authority or Graph).
pub(crate) fn base_url(raw: &str, label: &str, strip_version: bool) -> Result<Url, GraphError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(GraphError::config(format!("The {label} is empty.")));
    }
    let mut url = Url::parse(trimmed).map_err(|e| {
        GraphError::config(format!(
            "The {label} '{trimmed}' is not a valid URL ({e}); expected e.g. https://…"
        ))
    })?;
    match url.scheme() {
        "https" | "http" => {}
        other => {
            return Err(GraphError::config(format!(
                "The {label} '{trimmed}' uses '{other}:'; only https:// is supported."
            )));
        }
    }
    let Some(host) = url.host() else {
        return Err(GraphError::config(format!(
            "The {label} '{trimmed}' has no host name."
        )));
    };
    if url.scheme() == "http" && !is_loopback_host(&host) {
        return Err(GraphError::config(format!(
            "The {label} '{trimmed}' uses plain http://, which is allowed only for loopback \
             addresses (127.0.0.1, ::1, localhost) such as the demo tenant. Use https://."
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GraphError::config(format!(
            "The {label} must not contain a user name or password."
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(GraphError::config(format!(
            "The {label} '{trimmed}' must not contain '?' or '#' parts."
        )));
    }
    let mut path = url.path().trim_end_matches('/').to_string();
    if strip_version {
        for suffix in ["/v1.0", "/beta"] {
            if path.to_ascii_lowercase().ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
            }
        }
    }
    url.set_path(&path);
    Ok(url)
}

pub(crate) fn join_segments(base: &Url, segments: &[&str]) -> Result<Url, GraphError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| GraphError::config(format!("'{base}' cannot be used as a base URL.")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::client::{GraphClient, GraphConfig};
    use crate::graph::error::ErrorKind;
    use crate::model::{Endpoints, Secret};

    fn cfg(authority: &str, graph: &str) -> GraphConfig {
        GraphConfig::new(
            Endpoints {
                authority_url: authority.into(),
                graph_url: graph.into(),
            },
            "contoso.onmicrosoft.com",
            "11111111-2222-3333-4444-555555555555",
            Secret::new("not-a-real-secret"),
        )
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            assert!(GraphClient::new(cfg(ok, ok)).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.microsoftonline.com",
            "http://10.0.0.1",
            "http://192.168.1.10:8080",
            "http://localhost.evil.example",
            "http://[::2]",
        ] {
            let e = GraphClient::new(cfg(bad, "https://graph.microsoft.com")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
            assert!(e.to_string().contains("loopback"), "{e}");
        }
    }

    #[test]
    fn malformed_urls_are_rejected() {
        for bad in [
            "",
            "login.microsoftonline.com",
            "ftp://login.example",
            "https://",
            "https://user:pw@login.example",
            "https://login.example?x=1",
            "not a url",
        ] {
            let e = GraphClient::new(cfg(bad, "https://graph.microsoft.com")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad:?}");
        }
    }

    #[test]
    fn graph_url_version_suffix_is_tolerated() {
        let c = GraphClient::new(cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com/v1.0/",
        ))
        .unwrap();
        assert_eq!(c.scope(), "https://graph.microsoft.com/.default");
    }

    #[test]
    fn loggable_has_no_query() {
        let u = Url::parse("https://graph.microsoft.com/v1.0/users/delta?$skiptoken=abc").unwrap();
        assert_eq!(loggable(&u), "https://graph.microsoft.com/v1.0/users/delta");
        assert_eq!(host_of("https://graph.microsoft.us"), "graph.microsoft.us");
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn is_loopback_for_hosts() {
        assert!(is_loopback_host(&Host::Domain("localhost.")));
        assert!(!is_loopback_host(&Host::Domain("example.com")));
    }
}
