using System.Diagnostics;
using System.Text;

namespace OrleansWeCom.Fuzz;

/// <summary>
/// The in-process mode: random mutations of the seed corpus (bit flips, byte runs, splices, JSON tokens) without
/// coverage feedback, for machines without afl-fuzz and for CI. A crashing input is written to crashes/&lt;target&gt;/.
/// </summary>
public static class Mutations
{
    private static readonly byte[][] Tokens = new[]
    {
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "-0", "1e999", "9223372036854775808",
        "\"wxId\":", "\"WXID\":", "\"conversationId\":", "\"content\":", "\"type\":", "\"id\":", "\"data\":", "\"msgId\":",
        "\"S:1688854355260001_7881300839070001\"", "\"R:10696052955016166\"", "{$@}", "\"atList\":[\"0\"]",
    }.Select(Encoding.UTF8.GetBytes).ToArray();

    public static int Run(string name, Action<byte[]> target, string corpusDirectory, long executions)
    {
        var corpus = Directory.Exists(corpusDirectory)
            ? Directory.GetFiles(corpusDirectory).Select(File.ReadAllBytes).ToList()
            : [];
        if (corpus.Count == 0) corpus.Add("{}"u8.ToArray());
        var random = new Random(Environment.TickCount);
        var crashes = 0;
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < executions; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Count)], corpus, random);
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                crashes++;
                var folder = Directory.CreateDirectory(Path.Combine("crashes", name)).FullName;
                File.WriteAllBytes(Path.Combine(folder, $"crash-{i}.bin"), input);
                if (crashes <= 5) Console.Error.WriteLine($"crash {i}: {e.GetType().Name}: {e.Message}");
            }
        }

        Console.WriteLine($"{name}: {executions} executions, {crashes} crashes, {clock.Elapsed.TotalSeconds:F1} s, corpus {corpus.Count} inputs");
        return crashes == 0 ? 0 : 1;
    }

    private static byte[] Mutate(byte[] seed, List<byte[]> corpus, Random random)
    {
        var data = new List<byte>(seed);
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count + 1);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0:
                    var bit = random.Next(data.Count);
                    data[bit] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data.RemoveRange(Math.Min(at, data.Count - 1), Math.Min(random.Next(1, 16), data.Count - Math.Min(at, data.Count - 1)));
                    break;
                case 2:
                    data.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 3:
                    data.InsertRange(at, Enumerable.Repeat((byte)random.Next(256), random.Next(1, 64)));
                    break;
                case 4:
                    var other = corpus[random.Next(corpus.Count)];
                    var from = random.Next(other.Length + 1);
                    data.InsertRange(at, other.Skip(from).Take(random.Next(1, 64)));
                    break;
                case 5:
                    var depth = random.Next(1, 200);
                    data.InsertRange(at, Enumerable.Repeat((byte)(random.Next(2) == 0 ? '[' : '{'), depth));
                    break;
                default:
                    if (data.Count > 0) data[random.Next(data.Count)] = (byte)random.Next(256);
                    break;
            }
        }

        return data.ToArray();
    }
}
