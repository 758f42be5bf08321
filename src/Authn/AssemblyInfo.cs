namespace Secrets.Authn;

/// <summary>Marker type for the authenticators assembly.</summary>
public static class AuthnAssembly;
