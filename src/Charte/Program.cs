using Charte.Cli;

return await CharteCommand.RunAsync(args, Console.Out, Console.Error, TimeProvider.System);
