; Inno Setup script for Montu Desktop on Windows (built on a Windows PC, not by packaging/build.sh).
;
; Build, from the repository root in a Windows shell with Python 3.11 and Inno Setup 6:
;   py -3.11 -m venv .venv
;   .venv\Scripts\pip install -e ".[dev]"
;   .venv\Scripts\pyinstaller --noconfirm packaging\montu-desktop.spec
;   dist\montu-desktop\montu-desktop-cli.exe --self-test
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\montu-desktop.iss
; The installer lands in dist\installer\. AppVersion must match montu_desktop.__version__.
;
; Installs per user by default (no administrator needed); an administrator can choose "all users".
; The clinic's data (embedded database, settings, logs) is in the user's AppData folders and
; the uninstaller leaves it alone; the database server password stays in Windows Credential Manager.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Montu Desktop"
#define AppExe "montu-desktop.exe"
#define BundleDir "..\..\dist\montu-desktop"

[Setup]
AppId={{6F0C2B7E-3D55-4E0B-9C1A-7B2E5D8A4F31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Montu
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=montu-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\montu-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python may leave compiled caches beside the bundle's files.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
