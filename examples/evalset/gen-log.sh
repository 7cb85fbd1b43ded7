#!/bin/sh
# gen-log.sh — writes the synthetic production log support-log.jsonl (the
# committed copy was made with this script; awk's random numbers differ
# between awk implementations, so a re-run may give other messages).
# 600 chat-completion records of a shop's support assistant, as an API
# gateway would log them: OpenAI-style messages, the intent a human later
# assigned, a channel.  Real messiness on purpose: short and very long
# messages, e-mail addresses, phone and card numbers, exact duplicates
# (retries logged twice), near-duplicates (templated complaints) and two
# broken lines.
awk 'BEGIN {
	srand(42)
	n = split("shipping|billing|account|returns", intent, "|")
	s[1] = "where is my parcel|my order has not arrived yet|the tracking page has not changed for a week|the courier left my package at the wrong address|can you send it by express delivery|my delivery is late again"
	s[2] = "I was charged twice for my order|why is there an extra fee on my invoice|my card was declined but the money is gone|please send me a copy of the invoice|the discount code was not applied to my bill|I was billed for a subscription I cancelled"
	s[3] = "I cannot log in to my account|the password reset e-mail never arrives|please change the e-mail address on my account|how do I delete my account|my account was locked after three tries|I want to turn on two-factor login"
	s[4] = "I want to return the shoes I bought|the jacket is too small, can I exchange it|how long does a refund take|the item arrived broken and I want my money back|do I have to pay for the return label|can I return a gift without the receipt"
	for (k = 1; k <= n; k++) {
		m[k] = split(s[k], tmp, "|")
		for (j = 1; j <= m[k]; j++) msg[k, j] = tmp[j]
	}
	split("web|app|email", chan, "|")
	pii[1] = " You can reach me at anna.berg@example.com."
	pii[2] = " Call me on +44 20 7946 0958 please."
	pii[3] = " The card was 4111 1111 1111 1111."
	pii[4] = " My IBAN is DE89 3704 0044 0532 0130 00."
	long = " I have been a customer for many years and I have never had a problem like this before, so I hope you understand how frustrating it is to wait, to call, to write, and to get no clear answer from anyone on your team about what is going on and when it will be fixed."
	for (i = 1; i <= 600; i++) {
		r = rand()
		k = (r < 0.45) ? 1 : (r < 0.75) ? 2 : (r < 0.9) ? 3 : 4
		t = msg[k, int(rand() * m[k]) + 1]
		if (rand() < 0.5) t = t " (order " int(1000 + rand() * 9000) ")"
		x = rand()
		if (x < 0.08) t = "help"
		else if (x < 0.12) t = t long long
		else if (x < 0.17) t = t long
		if (rand() < 0.1) t = t pii[int(rand() * 4) + 1]
		line = sprintf("{\"id\": \"req-%04d\", \"channel\": \"%s\", \"intent\": \"%s\", \"messages\": [{\"role\": \"system\", \"content\": \"You are the support assistant of an online shop.\"}, {\"role\": \"user\", \"content\": \"%s\"}]}", i, chan[int(rand() * 3) + 1], intent[k], t)
		print line
		if (rand() < 0.05) print line            # a retry logged twice
		if (i == 200 || i == 400) print "{\"id\": \"req-broken\", \"messages\": [{\"role\": \"user\", \"content\": \"cut off"
	}
}'
