//! Windows only: embeds the app icon and a version resource in `usersync.exe`, so
//! Explorer shows the icon and inventory tools (Intune, Configuration Manager) read the
//! file version. Uses the resource compiler of the toolchain: MinGW's `windres` for the
//! GNU target, `rc.exe` (on PATH in a Developer Prompt, or `RC`) for MSVC. Without one the
//! exe still builds, without these resources, and the build says so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=icons/usersync.ico");
    println!("cargo:rerun-if-env-changed=RC");
    println!("cargo:rerun-if-env-changed=WINDRES");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let (Some(out), Some(root)) = (
        std::env::var_os("OUT_DIR").map(PathBuf::from),
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
    ) else {
        return;
    };
    let rc = out.join("usersync.rc");
    if let Err(e) = std::fs::write(&rc, resource_script(&root.join("icons/usersync.ico"))) {
        println!(
            "cargo:warning=no Windows resources: cannot write {}: {e}",
            rc.display()
        );
        return;
    }
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let (object, mut command) = if gnu {
        let object = out.join("usersync-res.o");
        let tool = std::env::var("WINDRES").unwrap_or_else(|_| windres_for_target());
        let mut c = Command::new(tool);
        c.args(["-O", "coff", "-i"]).arg(&rc).arg("-o").arg(&object);
        (object, c)
    } else {
        let object = out.join("usersync.res");
        let mut c = Command::new(std::env::var("RC").unwrap_or_else(|_| "rc.exe".into()));
        c.arg("/nologo").arg("/fo").arg(&object).arg(&rc);
        (object, c)
    };
    match command.status() {
        Ok(status) if status.success() => {
            println!("cargo:rustc-link-arg-bins={}", object.display());
        }
        Ok(status) => println!(
            "cargo:warning=no Windows resources (icon, version): {command:?} failed ({status})"
        ),
        Err(e) => println!(
            "cargo:warning=no Windows resources (icon, version): cannot run {command:?} ({e}); \
             install the toolchain's resource compiler or set RC / WINDRES"
        ),
    }
}

/// `x86_64-w64-mingw32-windres` when cross-compiling, else plain `windres`.
fn windres_for_target() -> String {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let prefixed = format!("{arch}-w64-mingw32-windres");
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join(&prefixed).is_file())
    });
    if on_path { prefixed } else { "windres".into() }
}

fn resource_script(icon: &Path) -> String {
    let version = env("CARGO_PKG_VERSION");
    let numeric: Vec<u16> = version
        .split(['-', '+'])
        .next()
        .unwrap_or_default()
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .chain(std::iter::repeat(0))
        .take(4)
        .collect();
    let commas = numeric
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // Forward slashes work for both compilers and need no escaping.
    let icon = icon.display().to_string().replace('\\', "/");
    let text = |s: String| s.replace('"', "\"\"");
    format!(
        r#"1 ICON "{icon}"
1 VERSIONINFO
FILEVERSION {commas}
PRODUCTVERSION {commas}
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "{authors}\0"
      VALUE "FileDescription", "User Sync\0"
      VALUE "FileVersion", "{version}\0"
      VALUE "InternalName", "usersync\0"
      VALUE "LegalCopyright", "{license}\0"
      VALUE "OriginalFilename", "usersync.exe\0"
      VALUE "ProductName", "User Sync\0"
      VALUE "ProductVersion", "{version}\0"
      VALUE "Comments", "{description}\0"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#,
        authors = text(env("CARGO_PKG_AUTHORS").replace(':', ", ")),
        license = text(env("CARGO_PKG_LICENSE")),
        description = text(env("CARGO_PKG_DESCRIPTION")),
    )
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}
