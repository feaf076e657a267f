//! `cassandra-rackdc.properties`, read by `GossipingPropertyFileSnitch`: `dc=` and `rack=`
//! lines (Java properties: `#`/`!` comments, `=` or `:` separators, surrounding spaces
//! ignored; other keys such as `prefer_local` are accepted and unused).

use std::path::Path;

use super::ConfigError;

/// The file's name, looked for beside the configuration file.
pub const RACKDC_FILE: &str = "cassandra-rackdc.properties";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub data_center: String,
    pub rack: String,
}

/// The dc and rack in `path`; `None` when there is no such file. Start-up only.
pub fn load(path: &Path) -> Result<Option<Location>, ConfigError> {
    // Blocking read: called by `Config::load`, on the main thread before any executor runs.
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Read { path: path.into(), source }),
    };
    parse(&text).map(Some)
}

pub fn parse(text: &str) -> Result<Location, ConfigError> {
    let (mut dc, mut rack) = (None, None);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!')) {
        let Some(split) = line.find(['=', ':']) else { continue };
        let (key, value) = (line[..split].trim(), line[split + 1..].trim());
        match key {
            "dc" => dc = Some(value.to_string()),
            "rack" => rack = Some(value.to_string()),
            _ => {}
        }
    }
    let missing = |what: &str| ConfigError::Invalid {
        key: "endpoint_snitch",
        reason: format!("{RACKDC_FILE} has no non-empty '{what}=' line"),
    };
    Ok(Location {
        data_center: dc.filter(|d| !d.is_empty()).ok_or_else(|| missing("dc"))?,
        rack: rack.filter(|r| !r.is_empty()).ok_or_else(|| missing("rack"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dc_and_rack_as_java_properties() {
        let text = "# comment\ndc = dc1\nrack:rack2\nprefer_local=true\n";
        assert_eq!(parse(text).unwrap(), Location { data_center: "dc1".into(), rack: "rack2".into() });
        assert!(parse("dc=dc1\n").is_err());
    }

    #[test]
    fn config_load_takes_them_beside_the_config_file() {
        let dir = std::env::temp_dir().join(format!("percore-rackdc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("percore.yaml"), "endpoint_snitch: GossipingPropertyFileSnitch\n").unwrap();
        std::fs::write(dir.join(RACKDC_FILE), "dc=east\nrack=r7\n").unwrap();
        let c = crate::config::Config::load(&dir.join("percore.yaml")).unwrap();
        assert_eq!((c.data_center.as_str(), c.rack.as_str()), ("east", "r7"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
