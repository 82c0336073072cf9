Console.WriteLine("front");
