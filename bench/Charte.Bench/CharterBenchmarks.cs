using BenchmarkDotNet.Attributes;
using Charte.Charters;
using Charte.Publishing;
using YamlDotNet.Core;

namespace Charte.Bench;

/// <summary>
/// Loading a charter (parse, read, validate) against its floor: YamlDotNet parsing the same bytes and doing nothing else.
/// The ratio says what Charte's positions, checks and model cost on top of reading YAML at all.
/// </summary>
[MemoryDiagnoser]
public class CharterBenchmarks
{
    private byte[] _bytes = [];
    private Charter _charter = null!;
    private readonly TimeProvider _clock = TimeProvider.System;

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "secufor.charte.yaml");
        _bytes = File.ReadAllBytes(path);
        _charter = CharterLoader.Load(_bytes, "secufor.charte.yaml", _clock).Charter
            ?? throw new InvalidOperationException("the example charter does not load");
    }

    [Benchmark(Baseline = true, Description = "floor: raw YAML parse (YamlDotNet events)")]
    public int RawYamlParse()
    {
        var parser = new Parser(new StringReader(System.Text.Encoding.UTF8.GetString(_bytes)));
        var events = 0;
        while (parser.MoveNext())
        {
            events++;
        }

        return events;
    }

    [Benchmark(Description = "charte check: decode + parse + read + validate")]
    public int LoadAndValidate() => CharterLoader.Load(_bytes, "secufor.charte.yaml", _clock).Diagnostics.Count;

    [Benchmark(Description = "charte policy --format html (from the loaded model)")]
    public int RenderHtmlPolicy() => HtmlWriter.Write(PrivacyPolicy.Compose(_charter, "fr")).Length;

    [Benchmark(Description = "charte register --format csv (from the loaded model)")]
    public int RenderCsvRegister() => Register.Compose(_charter, "fr").ToCsv().Length;

}
