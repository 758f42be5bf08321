namespace Secrets.Policy;

/// <summary>Marker type for the policy language and authorization engine assembly.</summary>
public static class PolicyAssembly;
