; User Sync: the NSIS setup, usersync_<version>_x64-setup.exe.
;
; One script, built two ways (packaging/README.md):
;   - on Windows, cargo-packager uses it as its NSIS template (Cargo.toml,
;     [package.metadata.packager.nsis]) and fills in the placeholders in double braces below
;     (version, description, exe, icon, output name);
;   - on Linux, scripts/package-check.sh runs Debian's makensis on it for the cross-built exe,
;     passing the same values with -D (VERSION, VERSIONWITHBUILD, DESCRIPTION, EXE, ICON,
;     SRCDIR, OUTFILE, and UNINSTSIGN: empty, or a command that signs "%1" in place).
;
; It installs per machine into Program Files\User Sync: usersync.exe, usersync.ico, the Task
; Scheduler example usersync-scheduler-task.xml (only shipped; importing it is an admin
; step), a Start menu shortcut, the uninstaller and the "Installed apps" entry. Only what ships
; with NSIS is used (no extra plugins). Silent: setup.exe /S [/D=C:\Path\Without\Quotes];
; uninstall.exe /S. Uninstalling keeps the data directories.

!ifndef VERSION
  !define VERSION "{{version}}"
!endif
!ifndef VERSIONWITHBUILD
  !define VERSIONWITHBUILD "{{version_with_build}}"
!endif
!ifndef DESCRIPTION
  !define DESCRIPTION "{{short_description}}"
!endif
!ifndef EXE
  !define EXE "{{main_binary_path}}"
!endif
!ifndef ICON
  !define ICON "{{installer_icon}}"
!endif
!ifndef OUTFILE
  !define OUTFILE "{{out_file}}"
!endif
!ifndef SRCDIR
  ; The repository root, from the icon's path (<root>\icons\usersync.ico, or with /).
  !searchreplace SRCDIR_ "${ICON}" "\icons\usersync.ico" ""
  !searchreplace SRCDIR "${SRCDIR_}" "/icons/usersync.ico" ""
!endif
!ifndef UNINSTSIGN
  ; cargo-packager's command for signing the uninstaller (empty unless signing is set up).
  !define UNINSTSIGN "{{uninstaller_sign_cmd}}"
!endif

!define PRODUCT "User Sync"
!define PUBLISHER "User Sync developers"
!define APPKEY "Software\User Sync"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\User Sync"

Unicode true
SetCompressor /SOLID lzma
!if `${UNINSTSIGN}` != ``
  !uninstfinalize '${UNINSTSIGN}'
!endif
ManifestDPIAware true
RequestExecutionLevel admin

!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include x64.nsh

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "${APPKEY}" "InstallDir"
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSIONWITHBUILD}"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT} setup: ${DESCRIPTION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${PUBLISHER}, MIT OR Apache-2.0"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "This installs ${PRODUCT} ${VERSION} for all users of this computer.$\r$\n$\r$\n${DESCRIPTION}.$\r$\n$\r$\nThe command line is usersync.exe in the install folder; the Task Scheduler example for servers is installed next to it."

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${PRODUCT} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Section "${PRODUCT}" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "/oname=usersync.exe" "${EXE}"
  File "/oname=usersync.ico" "${ICON}"
  File "/oname=usersync-scheduler-task.xml" "${SRCDIR}\packaging\windows\usersync-scheduler-task.xml"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\usersync.exe" "" "$INSTDIR\usersync.ico" 0

  WriteRegStr HKLM "${APPKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\usersync.ico"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\usersync.exe"
  Delete "$INSTDIR\usersync.ico"
  Delete "$INSTDIR\usersync-scheduler-task.xml"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "${APPKEY}"
SectionEnd
