using System.Reflection;
using System.Runtime.InteropServices;
using Jpack;

// jpack FILE      report on FILE (sizes, lines, words, CRC-32, gzip and zip round trip) as JSON
// jpack --version version, runtime architecture and whether this is a NativeAOT binary
if (args.Length == 1 && args[0] == "--version")
{
    string version = typeof(Packer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
    string plus = version.IndexOf('+') is int i and >= 0 ? version[..i] : version;
    bool aot = !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported;
    Console.WriteLine($"jpack {plus} ({RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}, {(aot ? "NativeAOT" : "JIT")})");
    return 0;
}
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: jpack FILE | jpack --version");
    return 2;
}
try
{
    byte[] data = File.ReadAllBytes(args[0]);
    Report report = Packer.Analyze(Path.GetFileName(args[0]), data);
    Console.WriteLine(Packer.ToJson(report));
    return report.RoundTrip ? 0 : 1;
}
catch (IOException e)
{
    Console.Error.WriteLine($"jpack: {e.Message}");
    return 1;
}
catch (UnauthorizedAccessException e)
{
    Console.Error.WriteLine($"jpack: {e.Message}");
    return 1;
}
