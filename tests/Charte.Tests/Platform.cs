// Charte runs on Linux servers; its tests check Unix file modes of key files.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
