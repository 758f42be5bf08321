namespace Secrets.Server.Tests;

public class Placeholder
{
    [Fact]
    public void Builds() => Assert.True(typeof(Placeholder).Assembly.GetName().Name!.Length > 0);
}
