using System.Runtime.Versioning;

// The CLI's credential files are protected with Unix file modes, and the tests check those modes.
[assembly: UnsupportedOSPlatform("windows")]
